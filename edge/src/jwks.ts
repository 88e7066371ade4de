/**
 * Fireblocks' v2 signing keys, downloaded from its JWKS and kept in the isolate. A `kid` we do not know
 * triggers a download, but never more than once per `minRefreshMs` (an unknown kid costs an attacker
 * nothing to send, the download costs us a subrequest). Keys older than an hour are refreshed on use,
 * the max-age Fireblocks serves the JWKS with, so a key Fireblocks withdraws stops working here too.
 */

export const RS512 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-512' } as const;
const MAX_AGE_MS = 3600_000;
const FETCH_TIMEOUT_MS = 5000;
/** 2048-bit modulus: anything shorter is not a key Fireblocks would use. */
const MIN_MODULUS_BYTES = 256;

/** WebCrypto's CryptoKey, spelled so it also type-checks under Node's types (the cache is tested in Node). */
type VerifyKey = Awaited<ReturnType<typeof crypto.subtle.importKey>>;

export type KeyLookup = { kind: 'found'; key: VerifyKey } | { kind: 'unknown' } | { kind: 'unavailable' };

interface JwkLike {
  kty?: unknown;
  kid?: unknown;
  use?: unknown;
  alg?: unknown;
  n?: unknown;
  e?: unknown;
}

function modulusBytes(n: string): number {
  return Math.floor((n.replace(/=+$/, '').length * 3) / 4);
}

async function importJwks(body: unknown): Promise<Map<string, VerifyKey>> {
  const keys = new Map<string, VerifyKey>();
  const list = (body as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) return keys;
  for (const entry of list as unknown[]) {
    if (!entry || typeof entry !== 'object') continue;
    const k = entry as JwkLike;
    if (k.kty !== 'RSA' || typeof k.kid !== 'string' || !k.kid || typeof k.n !== 'string' || typeof k.e !== 'string') continue;
    if (k.use !== undefined && k.use !== 'sig') continue;
    if (k.alg !== undefined && k.alg !== 'RS512') continue;
    if (modulusBytes(k.n) < MIN_MODULUS_BYTES) continue;
    try {
      const key = await crypto.subtle.importKey('jwk', { kty: 'RSA', n: k.n, e: k.e, alg: 'RS512', ext: true }, RS512, false, ['verify']);
      keys.set(k.kid, key);
    } catch {
      // One malformed entry must not take the other keys down with it.
    }
  }
  return keys;
}

export interface JwksCacheOptions {
  url: string;
  /** Least time between two downloads that an unknown kid may trigger. */
  minRefreshMs: number;
  /** The clock, in ms since the epoch; tests drive their own instead of waiting. */
  now?: () => number;
}

export class JwksCache {
  private keys = new Map<string, VerifyKey>();
  private loadedAt: number | null = null;
  private lastAttemptAt: number | null = null;
  private lastAttemptFailed = false;
  private inflight: Promise<void> | null = null;
  private readonly url: string;
  private readonly minRefreshMs: number;
  private readonly now: () => number;

  constructor(options: JwksCacheOptions) {
    this.url = options.url;
    this.minRefreshMs = options.minRefreshMs;
    this.now = options.now ?? Date.now;
  }

  async lookup(kid: string): Promise<KeyLookup> {
    const now = this.now();
    const stale = this.loadedAt === null || now - this.loadedAt >= MAX_AGE_MS;
    if ((!this.keys.has(kid) || stale) && this.mayDownload(now)) await this.refresh(now);
    const key = this.keys.get(kid);
    if (key) return { kind: 'found', key };
    return this.lastAttemptFailed ? { kind: 'unavailable' } : { kind: 'unknown' };
  }

  private mayDownload(now: number): boolean {
    return this.inflight !== null || this.lastAttemptAt === null || now - this.lastAttemptAt >= this.minRefreshMs;
  }

  /** Concurrent lookups share one download. A failed download keeps the keys we had. */
  private refresh(now: number): Promise<void> {
    this.inflight ??= (async () => {
      this.lastAttemptAt = now;
      try {
        // no-store: the JWKS is served with max-age=3600, and a refresh for a new kid must not get
        // Cloudflare's cached copy from before the kid existed.
        const res = await fetch(this.url, { headers: { accept: 'application/json' }, cache: 'no-store', signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
        if (!res.ok) throw new Error(`JWKS answered ${res.status}`);
        const keys = await importJwks(await res.json());
        if (!keys.size) throw new Error('JWKS holds no usable RS512 key');
        this.keys = keys;
        this.loadedAt = now;
        this.lastAttemptFailed = false;
      } catch {
        this.lastAttemptFailed = true;
      } finally {
        this.inflight = null;
      }
    })();
    return this.inflight;
  }
}

const jwksCaches = new Map<string, JwksCache>();

/** One cache per isolate and JWKS URL: module state survives between requests in the same isolate. */
export function jwksCacheFor(url: string, minRefreshMs: number): JwksCache {
  const id = `${minRefreshMs} ${url}`;
  let c = jwksCaches.get(id);
  if (!c) jwksCaches.set(id, (c = new JwksCache({ url, minRefreshMs })));
  return c;
}
