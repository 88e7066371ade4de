import { QueryOrder, type EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../../config.js';
import { User } from '../../entities/user.entity.js';
import { InvalidInputError, RateLimitedError } from '../errors.js';
import { isUuid } from '../ids.js';
import { recordHits, releaseHit } from '../rate-limit/fixed-window.js';
import { AmbiguousLoginError, InvalidCredentialsError } from './errors.js';
import { dummyPasswordHash, verifyPassword } from './password.js';
import type { TokenAudience } from './session-token.js';
import { startSession } from './sessions.js';

export interface LoginSettings {
  jwtSecret: string;
  jwtTtlSeconds: number;
  maxFailures: number;
  windowSeconds: number;
  scryptN: number;
  /** The password check (scrypt); tests pass a counting wrapper to see how many a login runs. */
  verifyPassword?: (password: string, stored: string) => Promise<boolean>;
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
 * Every login runs exactly this many password verifications (scrypt), real or against a dummy hash,
 * so its duration does not tell whether the email has no account, one, or accounts in several sites.
 * With x-site-id there are at most two candidates (the site's account and a SUPER_ADMIN's); without
 * it, the first two in a fixed order (a SUPER_ADMIN first) are checked.
 */
export const LOGIN_PASSWORD_CHECKS = 2;

/** Rate-limit keys: one per address, one per account and address. An address never contains a space. */
function limitKeys(email: string, ip: string | null): string[] {
  const address = ip ?? 'unknown';
  return [`login:ip:${address}`, `login:ip-email:${address} ${email}`];
}

/**
 * Password login, limited across processes per IP and per email+IP pair: failures from one address
 * never lock an account for everyone else. Every attempt takes a hit first (one atomic statement),
 * so a burst of parallel guesses cannot slip past the limit. A successful attempt gives back only its
 * own hits: it does not wipe the failures before it, or an attacker at that address would get fresh
 * guesses every time the real user signs in from it.
 */
export async function login(em: EntityManager, input: LoginInput, s: LoginSettings): Promise<LoginResult> {
  const email = input.email.trim().toLowerCase();
  if (email.length > 254) throw new InvalidInputError('email is too long', { field: 'email' });
  // A malformed site id can name no account: refuse it rather than send it to a uuid column.
  if (input.siteId && !isUuid(input.siteId)) throw new InvalidInputError('x-site-id must be a site id (UUID)', { field: 'x-site-id' });
  const keys = limitKeys(email, input.ip);
  const hits = await recordHits(em, keys, s.windowSeconds);
  const over = hits.find((h) => h.hits > s.maxFailures);
  if (over) {
    const retryAfter = Math.max(1, Math.ceil((over.expiresAt.getTime() - Date.now()) / 1000));
    throw new RateLimitedError(`Too many failed sign-in attempts; try again in ${retryAfter} s`, retryAfter);
  }

  // An email may exist once per site, so login looks across sites; the site filter is off on purpose.
  // One more row than is checked tells whether some account went unchecked.
  const candidates = await em.find(
    User,
    { email, ...(input.siteId ? { $or: [{ site: input.siteId }, { site: null }] } : {}) },
    { filters: false, populate: ['passwordHash'], orderBy: [{ site: QueryOrder.ASC_NULLS_FIRST }, { createdAt: QueryOrder.ASC }, { id: QueryOrder.ASC }], limit: LOGIN_PASSWORD_CHECKS + 1 },
  );
  const verify = s.verifyPassword ?? verifyPassword;
  const checked = candidates.slice(0, LOGIN_PASSWORD_CHECKS);
  const matches: User[] = [];
  for (const user of checked) if (await verify(input.password, user.passwordHash)) matches.push(user);
  const dummy = await dummyPasswordHash(s.scryptN);
  for (let i = checked.length; i < LOGIN_PASSWORD_CHECKS; i++) await verify(input.password, dummy);

  if (matches.length === 0) throw new InvalidCredentialsError();
  // More than one account fits, or one does and an unchecked one might too: the caller must choose.
  if (matches.length > 1 || candidates.length > checked.length) throw new AmbiguousLoginError();

  const user = matches[0]!;
  await Promise.all(keys.map((k) => releaseHit(em, k)));
  const { token, expiresAt } = await startSession(em, user, { secret: s.jwtSecret, ttlSeconds: s.jwtTtlSeconds, audience: input.audience, ip: input.ip });
  return { token, expiresAt, user };
}
