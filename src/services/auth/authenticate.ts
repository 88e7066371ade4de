import type { EntityManager } from '@mikro-orm/postgresql';
import { User } from '../../entities/user.entity.js';
import type { Actor } from './actor.js';
import { verifySessionToken, type TokenAudience, type TokenProblem } from './session-token.js';

export type AuthResult = { ok: true; actor: Actor; expiresAt: Date } | { ok: false; problem: TokenProblem | 'unknown-user' };

/**
 * Turns a bearer token into the current user. The user is re-read (role, site) on every request so a
 * deleted or re-roled account loses access at once, not when its token expires.
 */
export async function authenticate(em: EntityManager, token: string, secret: string, audience: TokenAudience = 'api'): Promise<AuthResult> {
  const verified = await verifySessionToken(token, secret, audience);
  if (!verified.ok) return verified;
  // Users of every site (and SUPER_ADMINs, who have none) sign in here: the site filter is off on purpose.
  const user = await em.findOne(User, { id: verified.claims.userId }, { filters: false });
  if (!user) return { ok: false, problem: 'unknown-user' };
  return { ok: true, actor: { userId: user.id, email: user.email, role: user.role, siteId: user.site?.id ?? null }, expiresAt: verified.expiresAt };
}

export function bearerToken(header: string | undefined | null): string | null {
  if (!header) return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return m ? m[1]! : null;
}
