import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { UserSession } from '../../entities/user-session.entity.js';
import type { User } from '../../entities/user.entity.js';
import { UnauthenticatedError } from '../errors.js';
import type { Scope } from '../scope.js';
import { issueSessionToken, verifySessionToken, type TokenAudience } from './session-token.js';

/**
 * Sessions make tokens revocable: every token carries the id (`sid`) of a user_session row, and
 * authenticate() accepts it only while that row is live (in the same query that re-reads the user).
 */

export interface StartedSession {
  token: string;
  expiresAt: Date;
  sessionId: string;
}

/** Opens a session for a user whose credentials were just checked, and signs its token. */
export async function startSession(
  em: EntityManager,
  user: Pick<User, 'id' | 'role' | 'site'>,
  opts: { secret: string; ttlSeconds: number; audience?: TokenAudience; ip: string | null; now?: Date },
): Promise<StartedSession> {
  const now = opts.now ?? new Date();
  const audience = opts.audience ?? 'api';
  const sessionId = randomUUID();
  const { token, expiresAt } = await issueSessionToken(
    { userId: user.id, sessionId, role: user.role, siteId: user.site?.id ?? null },
    opts.secret,
    opts.ttlSeconds,
    audience,
    now,
  );
  // A direct insert: the caller's unit of work may hold other changes that are not ours to flush.
  await em.insert(UserSession, { id: sessionId, user: user.id, audience, createdAt: now, expiresAt, revokedAt: null, ip: opts.ip });
  return { token, expiresAt, sessionId };
}

/** Ends one session; true when it was live. */
export async function revokeSession(em: EntityManager, sessionId: string, userId?: string): Promise<boolean> {
  const n = await em.nativeUpdate(UserSession, { id: sessionId, ...(userId ? { user: userId } : {}), revokedAt: null }, { revokedAt: new Date() });
  return n > 0;
}

/** Ends every live session of a user (password change). Run it in the transaction of the change. */
export async function revokeUserSessions(em: EntityManager, userId: string): Promise<number> {
  return em.nativeUpdate(UserSession, { user: userId, revokedAt: null }, { revokedAt: new Date() });
}

/** `logout`: ends the caller's own session, the one its token names. */
export async function logout(scope: Pick<Scope, 'em' | 'actor'>): Promise<boolean> {
  const { actor } = scope;
  if (!actor?.sessionId) throw new UnauthenticatedError();
  await revokeSession(scope.em, actor.sessionId, actor.userId);
  return true;
}

/**
 * Ends the session a token names, for transports that hold the token itself (the dashboard cookie).
 * A token that does not verify names no session of ours: nothing happens. False when nothing ended.
 */
export async function logoutToken(em: EntityManager, token: string, secret: string, audience: TokenAudience): Promise<boolean> {
  const verified = await verifySessionToken(token, secret, audience);
  if (!verified.ok) return false;
  return revokeSession(em, verified.claims.sessionId, verified.claims.userId);
}

/**
 * Deletes sessions past their expiry (their tokens have expired too). Revoked sessions stay until
 * then; a token works only while its row exists, so deleting one could never revive a token.
 */
export async function pruneExpiredSessions(em: EntityManager): Promise<number> {
  return em.nativeDelete(UserSession, { expiresAt: { $lte: new Date() } });
}
