import { SignJWT, jwtVerify, errors as joseErrors } from 'jose';
import type { Role } from '../../entities/role.js';
import { isUuid } from '../ids.js';

export interface SessionClaims {
  userId: string;
  /** The user_session row (`sid`) the token belongs to; the token authenticates only while it is live. */
  sessionId: string;
  role: Role;
  siteId: string | null;
}

const ISSUER = 'vestline';
/** Tokens for the API and for the job dashboard cookie are not interchangeable. */
export type TokenAudience = 'api' | 'dashboard';

const keyCache = new Map<string, Uint8Array>();
function key(secret: string): Uint8Array {
  let k = keyCache.get(secret);
  if (!k) keyCache.set(secret, (k = new TextEncoder().encode(secret)));
  return k;
}

export async function issueSessionToken(
  claims: SessionClaims,
  secret: string,
  ttlSeconds: number,
  audience: TokenAudience = 'api',
  now: Date = new Date(),
): Promise<{ token: string; expiresAt: Date }> {
  const iat = Math.floor(now.getTime() / 1000);
  const exp = iat + ttlSeconds;
  const token = await new SignJWT({ sid: claims.sessionId, role: claims.role, site: claims.siteId })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.userId)
    .setIssuer(ISSUER)
    .setAudience(audience)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key(secret));
  return { token, expiresAt: new Date(exp * 1000) };
}

export type TokenProblem = 'expired' | 'invalid';

/**
 * Verifies signature, algorithm, issuer, audience and expiry, and that the subject and session id are
 * ids (UUIDs): a correctly signed token naming anything else is invalid, never sent to a uuid column.
 * Never throws.
 */
export type VerifiedToken = { ok: true; claims: SessionClaims; expiresAt: Date } | { ok: false; problem: TokenProblem };

/**
 * Tokens whose signature and claims already checked out, so a client's next requests skip the HMAC
 * (jose verifies through async WebCrypto, a large share of a small request's CPU). Keyed by the whole
 * token and audience: the same bytes can only verify the same way. Expiry is still checked on
 * every use, and revocation is the session row's job, read on every request anyway. Bounded: the
 * oldest entry goes when it is full. Entries remember the secret they were verified with (a reference,
 * not a copy) and count only for that secret.
 */
const VERIFIED_CACHE_SIZE = 10_000;
const verified = new Map<string, { claims: SessionClaims; expiresAt: Date; secret: string }>();

export async function verifySessionToken(token: string, secret: string, audience: TokenAudience = 'api'): Promise<VerifiedToken> {
  const cacheKey = `${audience} ${token}`;
  const hit = verified.get(cacheKey);
  if (hit && hit.secret === secret) {
    if (hit.expiresAt.getTime() > Date.now()) return { ok: true, claims: hit.claims, expiresAt: hit.expiresAt };
    verified.delete(cacheKey);
    return { ok: false, problem: 'expired' };
  }
  const result = await verifyUncached(token, secret, audience);
  if (result.ok) {
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value!);
    verified.set(cacheKey, { claims: result.claims, expiresAt: result.expiresAt, secret });
  }
  return result;
}

async function verifyUncached(token: string, secret: string, audience: TokenAudience): Promise<VerifiedToken> {
  try {
    const { payload } = await jwtVerify(token, key(secret), { algorithms: ['HS256'], issuer: ISSUER, audience });
    if (!isUuid(payload.sub) || !isUuid(payload.sid) || typeof payload.role !== 'string') return { ok: false, problem: 'invalid' };
    const site = payload.site;
    return {
      ok: true,
      claims: { userId: payload.sub, sessionId: payload.sid, role: payload.role as Role, siteId: typeof site === 'string' ? site : null },
      expiresAt: new Date((payload.exp ?? 0) * 1000),
    };
  } catch (e) {
    return { ok: false, problem: e instanceof joseErrors.JWTExpired ? 'expired' : 'invalid' };
  }
}
