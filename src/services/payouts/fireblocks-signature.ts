/**
 * Fireblocks webhook signatures, checked over the raw body bytes (never re-serialised JSON). ONE module
 * for the API route and the edge worker (edge/src imports this file), so the two can never disagree:
 * WebCrypto and `jose` only, no Node-only API.
 *
 * - v2 `Fireblocks-Webhook-Signature`: compact JWS with a detached (empty) payload, RS512, `kid` from a
 *   JWKS. Any other `alg` is refused before a key is looked up: the header is attacker-controlled and
 *   "none"/HS512 (with the RSA public key as the HMAC secret) are the classic ways around a JWS check.
 *   `crit` is refused (RFC 7515 4.1.11; b64=false among the extensions), so is an attached payload.
 * - v1 `Fireblocks-Signature`: base64 RSA-SHA512 over the body, tried against every static key (two
 *   during a rotation).
 * Fireblocks sends both during its migration; either one verifying is enough, v2 is tried first.
 * Nothing is ever accepted unverified: `jwks_unavailable` (worth a retry) is only answered when v2
 * could not be checked because its keys could not be fetched AND v1 did not verify.
 */
import {
  base64url,
  createLocalJWKSet,
  createRemoteJWKSet,
  customFetch,
  decodeProtectedHeader,
  errors,
  flattenedVerify,
  importSPKI,
  type CryptoKey,
  type FetchImplementation,
  type FlattenedJWSInput,
  type JSONWebKeySet,
  type JWK,
  type JWSHeaderParameters,
} from 'jose';

export const V2_HEADER = 'fireblocks-webhook-signature';
export const V1_HEADER = 'fireblocks-signature';

/** RSASSA-PKCS1-v1_5 with SHA-512: what both schemes use (JWS "RS512"). */
export const RS512 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' } as const;
/** Anything shorter is not a key Fireblocks would use (jose refuses shorter RS* keys as well). */
export const MIN_RSA_BITS = 2048;

export type SignatureCheck =
  | { ok: true; scheme: 'v2' | 'v1' }
  | { ok: false; reason: 'signature_missing' | 'signature_invalid' | 'jwks_unavailable'; detail: string };

/**
 * Finds the v2 key for a JWS header: a jose key getter (`createLocalJWKSet`'s shape). Throws
 * `errors.JWKSNoMatchingKey` for a kid it does not hold, `JwksUnavailableError` when it could not
 * get its keys (and holds none that match).
 */
export type JWKSResolver = (protectedHeader?: JWSHeaderParameters, token?: FlattenedJWSInput) => Promise<CryptoKey>;

export interface WebhookKeys {
  /** v1: RS512 public keys (`importStaticKeys`); empty when only v2 is configured. */
  staticKeys: readonly CryptoKey[];
  /** v2: where a kid's key comes from; null when only v1 is configured. */
  jwks: JWKSResolver | null;
}

/** The JWKS could not be downloaded (down, timeout, not 200, not a usable JWKS) and no held key matched. */
export class JwksUnavailableError extends Error {
  readonly code = 'ERR_JWKS_UNAVAILABLE';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'JwksUnavailableError';
  }
}

type Attempt = { ok: true } | { ok: false; detail: string; unavailable?: boolean };

const BASE64URL = /^[A-Za-z0-9_-]+$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Bits of an RSA modulus given as base64url (leading zero bytes do not count); 0 when it is not base64url. */
function modulusBits(n: string): number {
  if (!BASE64URL.test(n)) return 0;
  let bytes: Uint8Array;
  try {
    bytes = base64url.decode(n);
  } catch {
    return 0;
  }
  let i = 0;
  while (i < bytes.length && bytes[i] === 0) i++;
  if (i === bytes.length) return 0;
  return (bytes.length - i - 1) * 8 + (32 - Math.clz32(bytes[i]!));
}

/**
 * The entries of a JWKS we would verify with: RSA public keys with a kid, `use` absent or "sig", `alg`
 * absent or RS512, `key_ops` absent or with "verify", at least 2048 bits. Anything else is skipped, so
 * one odd entry cannot take the other keys down with it (jose refuses a whole set over one malformed
 * member). Two entries with one kid: the last wins. Throws when nothing usable is left.
 */
export function usableJwks(body: unknown): JSONWebKeySet {
  const list = isRecord(body) ? body.keys : undefined;
  if (!Array.isArray(list)) throw new Error('JWKS has no "keys" array');
  const byKid = new Map<string, JWK>();
  for (const k of list as unknown[]) {
    if (!isRecord(k) || k.kty !== 'RSA' || typeof k.kid !== 'string' || !k.kid) continue;
    if (typeof k.n !== 'string' || typeof k.e !== 'string' || !BASE64URL.test(k.e)) continue;
    if (k.d !== undefined) continue; // a private key has no business in a JWKS
    if (k.use !== undefined && k.use !== 'sig') continue;
    if (k.alg !== undefined && k.alg !== 'RS512') continue;
    if (k.key_ops !== undefined && !(Array.isArray(k.key_ops) && k.key_ops.includes('verify'))) continue;
    if (modulusBits(k.n) < MIN_RSA_BITS) continue;
    byKid.set(k.kid, { kty: 'RSA', kid: k.kid, n: k.n, e: k.e, alg: 'RS512', use: 'sig' });
  }
  if (!byKid.size) throw new Error('JWKS holds no usable RS512 key');
  return { keys: [...byKid.values()] };
}

/**
 * A fixed JWKS (a local file's parsed JSON, the in-process MOCK custody's keys). Any value is accepted
 * and checked here (`usableJwks`); throws when it holds no usable key.
 */
export function localJwks(jwks: unknown): JWKSResolver {
  return createLocalJWKSet(usableJwks(jwks));
}

export interface RemoteJwksOptions {
  /** Least time between two downloads that an unknown kid (or a failed download) may trigger. */
  minRefreshMs: number;
  /** Keys older than this are downloaded again on use; Fireblocks serves its JWKS with max-age=3600. */
  maxAgeMs?: number;
  /** Per download. */
  timeoutMs?: number;
}

function isKeyMiss(e: unknown): boolean {
  return e instanceof errors.JWKSNoMatchingKey || e instanceof errors.JWKSMultipleMatchingKeys || e instanceof errors.JOSENotSupported;
}

/**
 * The JWKS at `url`, held in memory (per process / isolate) by jose's `createRemoteJWKSet`, with the
 * rules jose leaves to us added in its `customFetch` hook:
 * - jose's cooldown runs from the last *successful* download; a failed one sets none, so while the
 *   endpoint is down every unknown kid would download again. Here a failed download blocks the next
 *   one for `minRefreshMs` too.
 * - jose throws when the keys are older than `cacheMaxAge` and the refresh fails; here the keys held
 *   stay usable while the endpoint is down (an unknown kid then gets JwksUnavailableError).
 * - downloads use `cache: 'no-store'`: a refresh for a new kid must not get a cached copy from before
 *   the kid existed (Cloudflare's cache in a worker).
 * - on Cloudflare Workers jose does not share one download between concurrent requests (a promise must
 *   not be settled from another request's I/O); a lookup that finds a download in flight waits for it
 *   by polling (at most `timeoutMs`), and takes its result as plain data.
 * - the JWKS is filtered with `usableJwks` before jose sees it.
 */
export function remoteJwks(url: string | URL, opts: RemoteJwksOptions): JWKSResolver {
  const { minRefreshMs, maxAgeMs = 3_600_000, timeoutMs = 5000 } = opts;
  let lastAttemptAt = 0;
  let lastFailure: unknown = null;
  let lastGood: { json: JSONWebKeySet; set: JWKSResolver } | null = null;
  /** The download in flight, if any, and how many have finished (worked or not). */
  let inflight: { since: number } | null = null;
  let finished = 0;

  const download: FetchImplementation = async (href, init) => {
    if (inflight) {
      // Only on workerd (in Node jose shares its own promise): another request's download is running.
      // Wait for it and take its outcome as plain data; its promise and body stay in its own request.
      const seen = finished;
      while (inflight && finished === seen && Date.now() - inflight.since < timeoutMs) await new Promise((r) => setTimeout(r, 10));
      if (finished !== seen) {
        if (lastFailure || !lastGood) throw new JwksUnavailableError('JWKS download failed', { cause: lastFailure });
        return Response.json(lastGood.json);
      }
      // It never finished within the timeout (its request went away mid-download): this one replaces it.
    }
    if (lastFailure && Date.now() - lastAttemptAt < minRefreshMs) {
      throw new JwksUnavailableError(`last JWKS download failed less than ${minRefreshMs} ms ago`, { cause: lastFailure });
    }
    const mine = { since: Date.now() };
    inflight = mine;
    lastAttemptAt = mine.since;
    try {
      const res = await fetch(href, { ...init, cache: 'no-store' });
      if (res.status !== 200) throw new Error(`JWKS answered ${res.status}`);
      const json = usableJwks(await res.json());
      lastGood = { json, set: createLocalJWKSet(json) };
      lastFailure = null;
      return Response.json(json);
    } catch (e) {
      lastFailure = e;
      throw e;
    } finally {
      finished++;
      if (inflight === mine) inflight = null;
    }
  };

  const remote = createRemoteJWKSet(new URL(url), {
    cooldownDuration: minRefreshMs,
    cacheMaxAge: maxAgeMs,
    timeoutDuration: timeoutMs,
    [customFetch]: download,
  });

  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (e) {
      if (isKeyMiss(e)) throw e;
      // The download failed (or was held back). A key we already have still verifies.
      if (lastGood) {
        try {
          return await lastGood.set(header, token);
        } catch (miss) {
          if (!isKeyMiss(miss)) throw miss;
        }
      }
      throw e instanceof JwksUnavailableError ? e : new JwksUnavailableError('JWKS download failed', { cause: e });
    }
  };
}

/**
 * Several key sources as one, tried in order; the first that holds the kid wins. Put local sources
 * first: a kid a remote JWKS does not know costs it a download (at most one per minRefreshMs).
 * Unavailable only when no source held the kid and at least one could not be asked.
 */
export function combinedJwks(...resolvers: JWKSResolver[]): JWKSResolver {
  return async (header, token) => {
    let unavailable: unknown = null;
    for (const resolve of resolvers) {
      try {
        return await resolve(header, token);
      } catch (e) {
        if (e instanceof JwksUnavailableError) unavailable ??= e;
        else if (!(e instanceof errors.JWKSNoMatchingKey)) throw e;
      }
    }
    throw unavailable ?? new errors.JWKSNoMatchingKey();
  };
}

/**
 * PEM `PUBLIC KEY` blocks (SPKI), one after another, as Fireblocks publishes them; `\n` escapes are
 * accepted for one-line settings. Empty text gives no keys. Throws, naming the block by its number
 * (never quoting it), on anything that is not an RSA public key of at least 2048 bits.
 */
export async function importStaticKeys(pem: string): Promise<CryptoKey[]> {
  const text = pem.replace(/\\n/g, '\n');
  if (!text.trim()) return [];
  const blocks = [...text.matchAll(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g)].map((m) => m[0]);
  if (!blocks.length) throw new Error('holds no PEM "PUBLIC KEY" block');
  const rest = text.replace(/-----BEGIN PUBLIC KEY-----[\s\S]*?-----END PUBLIC KEY-----/g, '');
  if (rest.includes('-----BEGIN')) throw new Error('holds a PEM block that is not a complete "PUBLIC KEY" block (RSA PUBLIC KEY, CERTIFICATE, or a missing END line?)');
  const keys: CryptoKey[] = [];
  for (const [i, block] of blocks.entries()) {
    const name = `key ${i + 1} of ${blocks.length}`;
    let key: CryptoKey;
    try {
      key = await importSPKI(block, 'RS512');
    } catch {
      throw new Error(`${name} is not an RSA public key`);
    }
    const bits = (key.algorithm as { modulusLength?: number }).modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) throw new Error(`${name} is a ${bits}-bit RSA key; at least ${MIN_RSA_BITS} bits are required`);
    keys.push(key);
  }
  return keys;
}

function v2Failure(e: unknown): Attempt {
  if (e instanceof JwksUnavailableError) return { ok: false, detail: 'v2_jwks_unavailable', unavailable: true };
  if (e instanceof errors.JWKSNoMatchingKey) return { ok: false, detail: 'v2_unknown_kid' };
  if (e instanceof errors.JWSSignatureVerificationFailed) return { ok: false, detail: 'v2_bad_signature' };
  if (e instanceof errors.JOSEAlgNotAllowed) return { ok: false, detail: 'v2_alg_not_allowed' };
  if (e instanceof errors.JWSInvalid) return { ok: false, detail: 'v2_malformed' };
  // A key jose would not use (too short, wrong algorithm), or a resolver failing in its own way.
  return { ok: false, detail: 'v2_key_rejected' };
}

async function verifyV2(jws: string, body: Uint8Array, jwks: JWKSResolver | null): Promise<Attempt> {
  const parts = jws.trim().split('.');
  if (parts.length !== 3) return { ok: false, detail: 'v2_malformed' };
  const [protectedB64, payload, signature] = parts as [string, string, string];
  if (payload !== '') return { ok: false, detail: 'v2_not_detached' };
  // Unpadded base64url (RFC 7515 section 2); an empty signature ("alg":"none") is judged by its header.
  if (!BASE64URL.test(protectedB64) || !/^[A-Za-z0-9_-]*$/.test(signature) || signature.length % 4 === 1) return { ok: false, detail: 'v2_malformed' };
  let header: JWSHeaderParameters;
  try {
    header = decodeProtectedHeader(`${protectedB64}..${signature}`) as JWSHeaderParameters;
  } catch {
    return { ok: false, detail: 'v2_malformed' };
  }
  // Decided here, before any key is looked up; jose is told the same below as a second fence.
  if (header.alg !== 'RS512') return { ok: false, detail: 'v2_alg_not_allowed' };
  if (header.crit !== undefined) return { ok: false, detail: 'v2_crit_unsupported' };
  if (typeof header.kid !== 'string' || !header.kid) return { ok: false, detail: 'v2_kid_missing' };
  if (!jwks) return { ok: false, detail: 'v2_no_jwks_configured' };
  try {
    // Detached payload (RFC 7515 appendix F): the body goes back in as base64url of the exact bytes.
    await flattenedVerify({ protected: protectedB64, payload: base64url.encode(body), signature }, jwks, { algorithms: ['RS512'], crit: {} });
    return { ok: true };
  } catch (e) {
    return v2Failure(e);
  }
}

function isUsableStaticKey(key: CryptoKey): boolean {
  const alg = key.algorithm as { name?: string; hash?: { name?: string }; modulusLength?: number };
  return alg.name === RS512.name && alg.hash?.name === RS512.hash && (alg.modulusLength ?? 0) >= MIN_RSA_BITS && key.usages.includes('verify');
}

/** Standard base64 (padding optional); null for anything else. */
function base64Decode(text: string): Uint8Array | null {
  const t = text.trim();
  if (!BASE64.test(t)) return null;
  try {
    return base64url.decode(t.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'));
  } catch {
    return null;
  }
}

async function verifyV1(sigB64: string, body: Uint8Array, keys: readonly CryptoKey[]): Promise<Attempt> {
  const signature = base64Decode(sigB64);
  if (!signature?.length) return { ok: false, detail: 'v1_malformed' };
  const usable = keys.filter(isUsableStaticKey);
  if (!usable.length) return { ok: false, detail: 'v1_no_keys_configured' };
  for (const key of usable) {
    if (await crypto.subtle.verify(RS512, key, signature, body)) return { ok: true };
  }
  return { ok: false, detail: 'v1_bad_signature' };
}

/**
 * Checks a Fireblocks webhook: `headers` as received (Fetch `Headers`, or anything with a
 * case-insensitive `get`), `body` the raw bytes. `detail` names the check that failed (several, comma
 * separated, when both schemes were tried); it never holds a value from the request.
 */
export async function verifyFireblocksSignature(headers: { get(name: string): string | null }, body: Uint8Array, keys: WebhookKeys): Promise<SignatureCheck> {
  const v2 = headers.get(V2_HEADER);
  const v1 = headers.get(V1_HEADER);
  if (!v2 && !v1) return { ok: false, reason: 'signature_missing', detail: 'no_signature_header' };
  const failures: Extract<Attempt, { ok: false }>[] = [];
  if (v2) {
    const r = await verifyV2(v2, body, keys.jwks);
    if (r.ok) return { ok: true, scheme: 'v2' };
    failures.push(r);
  }
  if (v1) {
    const r = await verifyV1(v1, body, keys.staticKeys);
    if (r.ok) return { ok: true, scheme: 'v1' };
    failures.push(r);
  }
  const detail = failures.map((f) => f.detail).join(',');
  // Only "we could not fetch keys" is worth a retry; every other failure is the request's fault.
  if (failures.some((f) => f.unavailable)) return { ok: false, reason: 'jwks_unavailable', detail };
  return { ok: false, reason: 'signature_invalid', detail };
}
