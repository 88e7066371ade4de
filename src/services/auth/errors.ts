import { DomainError } from '../errors.js';

export enum AuthErrorCode {
  INVALID_CREDENTIALS = 'INVALID_CREDENTIALS',
  SITE_REQUIRED = 'SITE_REQUIRED',
}

export class InvalidCredentialsError extends DomainError {
  readonly reason = AuthErrorCode.INVALID_CREDENTIALS;
  constructor() {
    super('Invalid email or password');
  }
}

export class AmbiguousLoginError extends DomainError {
  readonly reason = AuthErrorCode.SITE_REQUIRED;
  constructor() {
    super('This email signs in to more than one site: send the x-site-id header to choose one');
  }
}
