/**
 * "Seen this signed body in the last 10 minutes?" Neither Fireblocks signature carries a timestamp, so a
 * captured request could be replayed forever; the origin de-duplicates events for real, this only keeps
 * repeats off it. Best effort by design:
 * - Cache API (default): per data centre and evictable; a repeat that lands in another colo, or after
 *   an eviction, is forwarded. Cloudflare documents it as functional on custom domains; do not count on
 *   it on *.workers.dev or in dashboard previews.
 * - KV (when REPLAY_KV is bound): global, but eventually consistent (a put can take 60 s or more to be
 *   seen in other colos), one write per key per second, and writes are billed.
 * A body is remembered only after the origin took it (2xx), so a retry of a delivery the origin failed
 * is forwarded again instead of being swallowed here; only verified bodies get that far, so nobody can
 * fill the store with bodies Fireblocks did not sign.
 */
import { toHex } from './encoding.js';

export const REPLAY_WINDOW_SECONDS = 600;

export interface ReplayStore {
  readonly kind: 'cache' | 'kv';
  seen(key: string): Promise<boolean>;
  remember(key: string): Promise<void>;
}

/** The body's SHA-256: the same event re-sent with a fresh (v1 or v2) signature is still the same event. */
export async function replayKey(body: Uint8Array): Promise<string> {
  return toHex(await crypto.subtle.digest('SHA-256', body));
}

function kvStore(kv: KVNamespace): ReplayStore {
  return {
    kind: 'kv',
    async seen(key) {
      return (await kv.get(`replay:${key}`)) !== null;
    },
    async remember(key) {
      await kv.put(`replay:${key}`, '1', { expirationTtl: REPLAY_WINDOW_SECONDS });
    },
  };
}

let replayCache: Promise<Cache> | undefined;

/**
 * A named cache of our own (not caches.default, which the zone's responses share), keyed under the
 * worker's own hostname as Cloudflare recommends: a made-up host costs a DNS lookup per operation.
 */
function cacheStore(host: string): ReplayStore {
  replayCache ??= caches.open('vestline-edge-replay');
  const url = (key: string) => `https://${host}/__edge-replay/${key}`;
  return {
    kind: 'cache',
    async seen(key) {
      return (await (await replayCache!).match(url(key))) !== undefined;
    },
    async remember(key) {
      await (await replayCache!).put(url(key), new Response('1', { headers: { 'cache-control': `max-age=${REPLAY_WINDOW_SECONDS}` } }));
    },
  };
}

export function replayStore(kv: KVNamespace | undefined, host: string): ReplayStore {
  return kv ? kvStore(kv) : cacheStore(host);
}
