import { DomainError } from '../errors.js';

export enum WalletErrorCode {
  POOL_EXHAUSTED = 'POOL_EXHAUSTED',
  DUPLICATE_WALLET = 'DUPLICATE_WALLET',
  WALLET_STATUS_CONFLICT = 'WALLET_STATUS_CONFLICT',
}

export class PoolExhaustedError extends DomainError {
  readonly reason = WalletErrorCode.POOL_EXHAUSTED;
  constructor(network: string) {
    super(`Deposit wallet pool exhausted: no AVAILABLE ${network} wallet`, { network });
  }
}

export class DuplicateWalletError extends DomainError {
  readonly reason = WalletErrorCode.DUPLICATE_WALLET;
  constructor() {
    super('This wallet is already in the pool');
  }
}

export class WalletStatusConflictError extends DomainError {
  readonly reason = WalletErrorCode.WALLET_STATUS_CONFLICT;
}
