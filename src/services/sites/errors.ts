import { DomainError } from '../errors.js';

export class SiteSlugTakenError extends DomainError {
  readonly category = 'CONFLICT';
  readonly reason = 'SLUG_TAKEN';
  constructor(slug: string) {
    super(`A site with slug "${slug}" already exists`, { slug });
  }
}
