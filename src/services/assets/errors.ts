import { DomainError } from '../errors.js';

export class AssetDecimalsLockedError extends DomainError {
  readonly category = 'CONFLICT';
  readonly reason = 'DECIMALS_LOCKED';
  constructor() {
    super('decimals of an existing asset cannot change: every stored amount of it would change meaning');
  }
}
