import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config.js';
import { User } from '../../entities/user.entity.js';
import { InvalidInputError, RateLimitedError } from '../errors.js';
import { isUuid } from '../ids.js';
import { recordHit, releaseHit } from '../rate-limit/fixed-window.js';
import { AmbiguousLoginError, InvalidCredentialsError } from './errors.js';
import { dummyPasswordHash, verifyPassword } from './password.js';
import { issueSessionToken, type TokenAudience } from './session-token.js';

export interface LoginSettings {
  jwtSecret: string;
  jwtTtlSeconds: number;
  maxFailures: number;
  windowSeconds: number;
  scryptN: number;
}

/** The login policy from the configuration, for the GraphQL mutation and the dashboard form alike. */
export function loginSettings(c: Pick<Config, 'JWT_SECRET' | 'JWT_TTL_SECONDS' | 'LOGIN_MAX_FAILURES' | 'LOGIN_WINDOW_SECONDS' | 'PASSWORD_SCRYPT_N'>): LoginSettings {
  return { jwtSecret: c.JWT_SECRET, jwtTtlSeconds: c.JWT_TTL_SECONDS, maxFailures: c.LOGIN_MAX_FAILURES, windowSeconds: c.LOGIN_WINDOW_SECONDS, scryptN: c.PASSWORD_SCRYPT_N };
}

export interface LoginInput {
  email: string;
  password: string;
  ip: string | null;
  /** Narrows the account when one email exists in several sites (x-site-id header). */
  siteId: string | null;
  audience?: TokenAudience;
}

export interface LoginResult {
  token: string;
  expiresAt: Date;
  user: User;
}

/**
 * Password login, limited per email and per IP across processes. Every attempt takes a hit first
 * (one atomic statement), so a burst of parallel guesses cannot slip past the limit. A successful
 * attempt gives back only its own hits: it does not wipe the failures before it, or an attacker
 * would get fresh guesses every time the real user signs in.
 */
export async function login(em: EntityManager, input: LoginInput, s: LoginSettings): Promise<LoginResult> {
  const email = input.email.trim().toLowerCase();
  if (email.length > 254) throw new InvalidInputError('email is too long', { field: 'email' });
  // A malformed site id can name no account: refuse it rather than send it to a uuid column.
  if (input.siteId && !isUuid(input.siteId)) throw new InvalidInputError('x-site-id must be a site id (UUID)', { field: 'x-site-id' });
  const keys = [`login:email:${email}`, ...(input.ip ? [`login:ip:${input.ip}`] : [])];
  const hits = await Promise.all(keys.map((k) => recordHit(em, k, s.windowSeconds)));
  const over = hits.find((h) => h.hits > s.maxFailures);
  if (over) {
    const retryAfter = Math.max(1, Math.ceil((over.expiresAt.getTime() - Date.now()) / 1000));
    throw new RateLimitedError(`Too many failed sign-in attempts; try again in ${retryAfter} s`, retryAfter);
  }

  // An email may exist once per site, so login looks across sites; the site filter is off on purpose.
  const candidates = await em.find(
    User,
    { email, ...(input.siteId ? { $or: [{ site: input.siteId }, { site: null }] } : {}) },
    { filters: false, populate: ['passwordHash'] },
  );
  const matches: User[] = [];
  for (const user of candidates) if (await verifyPassword(input.password, user.passwordHash)) matches.push(user);
  if (candidates.length === 0) await verifyPassword(input.password, await dummyPasswordHash(s.scryptN));

  if (matches.length === 0) throw new InvalidCredentialsError();
  if (matches.length > 1) throw new AmbiguousLoginError();

  const user = matches[0]!;
  await Promise.all(keys.map((k) => releaseHit(em, k)));
  const { token, expiresAt } = await issueSessionToken(
    { userId: user.id, role: user.role, siteId: user.site?.id ?? null },
    s.jwtSecret,
    s.jwtTtlSeconds,
    input.audience,
  );
  return { token, expiresAt, user };
}
