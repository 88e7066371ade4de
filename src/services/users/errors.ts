import { DomainError } from '../errors.js';

export class EmailTakenError extends DomainError {
  readonly category = 'CONFLICT';
  readonly reason = 'EMAIL_TAKEN';
  constructor() {
    super('A user with this email already exists in this site');
  }
}
