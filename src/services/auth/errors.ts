import { DomainError } from '../errors.js';

export class InvalidCredentialsError extends DomainError {
  readonly category = 'UNAUTHENTICATED';
  readonly reason = 'INVALID_CREDENTIALS';
  constructor() {
    super('Invalid email or password');
  }
}

export class AmbiguousLoginError extends DomainError {
  readonly category = 'BAD_USER_INPUT';
  readonly reason = 'SITE_REQUIRED';
  constructor() {
    super('This email signs in to more than one site: send the x-site-id header to choose one');
  }
}
