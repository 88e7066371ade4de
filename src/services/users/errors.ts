import { DomainError } from '../errors.js';

export enum UserErrorCode {
  EMAIL_TAKEN = 'EMAIL_TAKEN',
}

export class EmailTakenError extends DomainError {
  readonly reason = UserErrorCode.EMAIL_TAKEN;
  constructor() {
    super('A user with this email already exists in this site');
  }
}
