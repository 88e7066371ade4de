import { asDate, type PlainReads } from '../../db/plain-reads.js';
import type { Role } from '../../entities/role.js';
import type { UserView } from '../users/user-view.js';
import type { Actor } from './actor.js';
import { verifySessionToken, type TokenAudience, type TokenProblem } from './session-token.js';

export type AuthResult = { ok: true; actor: Actor; user: UserView; expiresAt: Date } | { ok: false; problem: TokenProblem | 'session-ended' };

/**
 * Turns a bearer token into the current user. The token's session and its user are read together
 * on every request, in one statement that only finds a live session: a logged-out session, a changed
 * password or a deleted account (its sessions go with it) lose access at once, and a changed role or
 * site applies at once. The row comes back as plain data (no entity hydration): it is the hot path.
 */
export async function authenticate(reads: PlainReads, token: string, secret: string, audience: TokenAudience = 'api'): Promise<AuthResult> {
  const verified = await verifySessionToken(token, secret, audience);
  if (!verified.ok) return verified;
  const { userId, sessionId } = verified.claims;
  const [user] = await reads.rows<Omit<UserView, 'createdAt'> & { createdAt: Date | string }>(
    // all-sites: authentication reads the caller's own user, of any site (SUPER_ADMINs have none), by its session.
    `select u.id, u.email, u.role, u.site_id as "siteId", u.created_at as "createdAt"
     from user_session s join app_user u on u.id = s.user_id
     where s.id = ? and s.user_id = ? and s.audience = ? and s.revoked_at is null and s.expires_at > now()`,
    [sessionId, userId, audience],
  );
  if (!user) return { ok: false, problem: 'session-ended' };
  return {
    ok: true,
    actor: { userId: user.id, email: user.email, role: user.role as Role, siteId: user.siteId, sessionId },
    user: { ...user, createdAt: asDate(user.createdAt) },
    expiresAt: verified.expiresAt,
  };
}

export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}
