import type { EntityManager } from '@mikro-orm/postgresql';

// Fixed-window counters in PostgreSQL, shared by every process. One statement both resets an expired
// window and counts the hit, so concurrent hits from many processes are never lost.

/**
 * Counts one hit on each key in a single statement, the keys taken in a fixed order: concurrent
 * attempts on the same keys are serialized by the row locks, so every attempt sees the same count on
 * each of its keys (no attempt is refused by one counter and let through by another). Results come
 * back in the order of `keys`.
 */
export async function recordHits(em: EntityManager, keys: readonly string[], windowSeconds: number): Promise<{ hits: number; expiresAt: Date }[]> {
  const sorted = [...new Set(keys)].sort();
  const rows = await em.execute<{ key: string; hits: number; expires_at: Date | string }[]>(
    `insert into rate_limit_bucket (key, hits, expires_at)
     values ${sorted.map(() => '(?, 1, now() + make_interval(secs => ?))').join(', ')}
     on conflict (key) do update set
       hits = case when rate_limit_bucket.expires_at <= now() then 1 else rate_limit_bucket.hits + 1 end,
       expires_at = case when rate_limit_bucket.expires_at <= now() then excluded.expires_at else rate_limit_bucket.expires_at end
     returning key, hits, expires_at`,
    sorted.flatMap((k) => [k, windowSeconds]),
  );
  const byKey = new Map(rows.map((r) => [r.key, { hits: Number(r.hits), expiresAt: new Date(r.expires_at) }]));
  return keys.map((k) => byKey.get(k)!);
}

/** Takes back one hit (an attempt that turned out to be allowed, e.g. a successful login). */
export async function releaseHit(em: EntityManager, key: string): Promise<void> {
  await em.execute(`update rate_limit_bucket set hits = hits - 1 where key = ? and hits > 0`, [key]);
}

export async function pruneExpired(em: EntityManager): Promise<number> {
  const res = await em.execute(`delete from rate_limit_bucket where expires_at <= now()`, [], 'run');
  return (res as { affectedRows?: number }).affectedRows ?? 0;
}
