import type { EntityManager } from '@mikro-orm/postgresql';
import { Role } from '../entities/role.js';
import { SITE_FILTER, type SiteFilterParams } from '../entities/site-scope.js';
import type { RequestScope } from '../services/auth/actor.js';
import { authenticate, bearerToken } from '../services/auth/authenticate.js';
import { isUuid } from '../services/ids.js';
import { findSite } from '../services/sites/find-site.js';


export type ScopeFailure =
  | { kind: 'unauthenticated'; message: string }
  | { kind: 'bad-site'; message: string };

/**
 * Resolves who is calling and in which site, and points the fork's site filter at that site.
 * A token that is present but bad is an error, never a silent fall-back to anonymous.
 */
export async function resolveRequestScope(
  em: EntityManager,
  input: { authorization: string | null | undefined; siteHeader: string | null | undefined; ip: string | null },
  jwtSecret: string,
): Promise<{ ok: true; scope: RequestScope; expiresAt?: Date } | { ok: false; failure: ScopeFailure }> {
  let scope: RequestScope = { actor: null, siteId: null, ip: input.ip };
  let expiresAt: Date | undefined;
  if (input.authorization) {
    const token = bearerToken(input.authorization);
    if (!token) return { ok: false, failure: { kind: 'unauthenticated', message: 'Authorization must be "Bearer <token>"' } };
    const auth = await authenticate(em, token, jwtSecret);
    if (!auth.ok) {
      const message =
        auth.problem === 'expired' ? 'Session expired: sign in again' : auth.problem === 'session-ended' ? 'Session ended: sign in again' : 'Invalid session token';
      return { ok: false, failure: { kind: 'unauthenticated', message } };
    }
    scope = { actor: auth.actor, siteId: auth.actor.siteId, ip: input.ip };
    expiresAt = auth.expiresAt;
    // Only a SUPER_ADMIN picks a site; everybody else is pinned to their own.
    if (auth.actor.role === Role.SUPER_ADMIN && input.siteHeader) {
      if (!isUuid(input.siteHeader)) return { ok: false, failure: { kind: 'bad-site', message: 'x-site-id must be a site id (UUID)' } };
      if (!(await findSite(em, input.siteHeader))) return { ok: false, failure: { kind: 'bad-site', message: 'x-site-id names no site' } };
      scope = { ...scope, siteId: input.siteHeader };
    }
  }
  const params: SiteFilterParams = { siteId: scope.siteId };
  em.setFilterParams(SITE_FILTER, params);
  return { ok: true, scope, expiresAt };
}

export function headerValue(v: string | string[] | undefined): string | null {
  if (Array.isArray(v)) return v[0] ?? null;
  return v ?? null;
}
