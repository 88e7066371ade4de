import { DomainError } from '../errors.js';

export class PoolExhaustedError extends DomainError {
  readonly category = 'CONFLICT';
  readonly reason = 'POOL_EXHAUSTED';
  constructor(network: string) {
    super(`Deposit wallet pool exhausted: no AVAILABLE ${network} wallet`, { network });
  }
}

export class DuplicateWalletError extends DomainError {
  readonly category = 'CONFLICT';
  readonly reason = 'DUPLICATE_WALLET';
  constructor() {
    super('This wallet is already in the pool');
  }
}

export class WalletStatusConflictError extends DomainError {
  readonly category = 'CONFLICT';
  readonly reason = 'WALLET_STATUS_CONFLICT';
}
