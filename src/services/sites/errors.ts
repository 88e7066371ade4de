import { DomainError } from '../errors.js';

export enum SiteErrorCode {
  SLUG_TAKEN = 'SLUG_TAKEN',
}

export class SiteSlugTakenError extends DomainError {
  readonly reason = SiteErrorCode.SLUG_TAKEN;
  constructor(slug: string) {
    super(`A site with slug "${slug}" already exists`, { slug });
  }
}
