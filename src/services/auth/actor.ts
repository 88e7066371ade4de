import { ForbiddenError } from '../errors.js';
import type { Role } from '../../entities/role.js';

/** Who is calling, as loaded from the database for this request (never just trusted from the token). */
export interface Actor {
  userId: string;
  email: string;
  role: Role;
  /** The user's own site; null for SUPER_ADMIN. */
  siteId: string | null;
  /** The session the request's token belongs to (what `logout` ends); absent for actors made in code. */
  sessionId?: string;
}

/** What every use case gets from the transport: the caller, the site it acts in, and where it came from. */
export interface RequestScope {
  actor: Actor | null;
  /** Effective site: the user's site, or the x-site-id a SUPER_ADMIN chose; null when none. */
  siteId: string | null;
  ip: string | null;
}

/** The site a site-scoped use case runs in; the permission rules demand one, this makes the type say so. */
export function requireSiteId(scope: Pick<RequestScope, 'siteId'>): string {
  if (!scope.siteId) throw new ForbiddenError('Choose a site (x-site-id) for this operation');
  return scope.siteId;
}
