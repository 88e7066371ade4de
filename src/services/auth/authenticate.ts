import type { EntityManager } from '@mikro-orm/postgresql';
import { UserSession } from '../../entities/user-session.entity.js';
import type { Actor } from './actor.js';
import { verifySessionToken, type TokenAudience, type TokenProblem } from './session-token.js';

export type AuthResult = { ok: true; actor: Actor; expiresAt: Date } | { ok: false; problem: TokenProblem | 'session-ended' };

/**
 * Turns a bearer token into the current user. The token's session and its user are read together
 * on every request, in one query: a logged-out session, a changed password or a deleted account
 * (its sessions go with it) lose access at once, and a changed role or site applies at once.
 */
export async function authenticate(em: EntityManager, token: string, secret: string, audience: TokenAudience = 'api'): Promise<AuthResult> {
  const verified = await verifySessionToken(token, secret, audience);
  if (!verified.ok) return verified;
  const { userId, sessionId } = verified.claims;
  // Users of every site (and SUPER_ADMINs, who have none) sign in here: the site filter is off on purpose.
  // The user comes in by a join and lands in the identity map, so `me` and the like need no query of their own.
  const session = await em.findOne(UserSession, { id: sessionId }, { populate: ['user'], strategy: 'joined', filters: false });
  const live = session && session.user.id === userId && session.audience === audience && !session.revokedAt && session.expiresAt.getTime() > Date.now();
  if (!live) return { ok: false, problem: 'session-ended' };
  const user = session.user;
  return {
    ok: true,
    actor: { userId: user.id, email: user.email, role: user.role, siteId: user.site?.id ?? null, sessionId },
    expiresAt: verified.expiresAt,
  };
}

export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}
