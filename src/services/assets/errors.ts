import { DomainError } from '../errors.js';

export enum AssetErrorCode {
  DECIMALS_LOCKED = 'DECIMALS_LOCKED',
}

export class AssetDecimalsLockedError extends DomainError {
  readonly reason = AssetErrorCode.DECIMALS_LOCKED;
  constructor() {
    super('decimals of an existing asset cannot change: every stored amount of it would change meaning');
  }
}
