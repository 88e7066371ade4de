import type { PlainReads } from '../db/plain-reads.js';
import { Role } from '../entities/role.js';
import type { RequestScope } from '../services/auth/actor.js';
import { authenticate, bearerToken } from '../services/auth/authenticate.js';
import { isUuid } from '../services/ids.js';
import { siteExists } from '../services/sites/find-site.js';
import type { UserView } from '../services/users/user-view.js';

export type ScopeFailure =
  | { kind: 'unauthenticated'; message: string }
  | { kind: 'bad-site'; message: string };

export type ResolvedScope = { ok: true; scope: RequestScope; user: UserView | null; expiresAt?: Date } | { ok: false; failure: ScopeFailure };

/**
 * Resolves who is calling and in which site (the caller's own, or the x-site-id a SUPER_ADMIN
 * chose). A token that is present but bad is an error, never a silent fall-back to anonymous. Runs
 * plain statements only, so it needs no request EntityManager of its own.
 */
export async function resolveRequestScope(
  reads: PlainReads,
  input: { authorization: string | null | undefined; siteHeader: string | null | undefined; ip: string | null },
  jwtSecret: string,
): Promise<ResolvedScope> {
  if (!input.authorization) return { ok: true, scope: { actor: null, siteId: null, ip: input.ip }, user: null };
  const token = bearerToken(input.authorization);
  if (!token) return { ok: false, failure: { kind: 'unauthenticated', message: 'Authorization must be "Bearer <token>"' } };
  const auth = await authenticate(reads, token, jwtSecret);
  if (!auth.ok) {
    const message = auth.problem === 'expired' ? 'Session expired: sign in again' : auth.problem === 'session-ended' ? 'Session ended: sign in again' : 'Invalid session token';
    return { ok: false, failure: { kind: 'unauthenticated', message } };
  }
  let siteId = auth.actor.siteId;
  // Only a SUPER_ADMIN picks a site; everybody else is pinned to their own.
  if (auth.actor.role === Role.SUPER_ADMIN && input.siteHeader) {
    if (!isUuid(input.siteHeader)) return { ok: false, failure: { kind: 'bad-site', message: 'x-site-id must be a site id (UUID)' } };
    if (!(await siteExists(reads, input.siteHeader))) return { ok: false, failure: { kind: 'bad-site', message: 'x-site-id names no site' } };
    siteId = input.siteHeader;
  }
  return { ok: true, scope: { actor: auth.actor, siteId, ip: input.ip }, user: auth.user, expiresAt: auth.expiresAt };
}

export function headerValue(v: string | string[] | undefined): string | null {
  if (Array.isArray(v)) return v[0] ?? null;
  return v ?? null;
}
