import type { EntityManager } from '@mikro-orm/postgresql';

/**
 * Fixed-window counters in PostgreSQL, shared by every process. One statement both resets an expired
 * window and counts the hit, so concurrent hits from many processes are never lost.
 */
export async function recordHit(em: EntityManager, key: string, windowSeconds: number): Promise<{ hits: number; expiresAt: Date }> {
  const rows = await em.execute<{ hits: number; expires_at: Date }[]>(
    `insert into rate_limit_bucket (key, hits, expires_at)
     values (?, 1, now() + make_interval(secs => ?))
     on conflict (key) do update set
       hits = case when rate_limit_bucket.expires_at <= now() then 1 else rate_limit_bucket.hits + 1 end,
       expires_at = case when rate_limit_bucket.expires_at <= now() then excluded.expires_at else rate_limit_bucket.expires_at end
     returning hits, expires_at`,
    [key, windowSeconds],
  );
  const row = rows[0]!;
  return { hits: Number(row.hits), expiresAt: new Date(row.expires_at) };
}

/** Takes back one hit (an attempt that turned out to be allowed, e.g. a successful login). */
export async function releaseHit(em: EntityManager, key: string): Promise<void> {
  await em.execute(`update rate_limit_bucket set hits = hits - 1 where key = ? and hits > 0`, [key]);
}

export async function pruneExpired(em: EntityManager): Promise<number> {
  const res = await em.execute(`delete from rate_limit_bucket where expires_at <= now()`, [], 'run');
  return (res as { affectedRows?: number }).affectedRows ?? 0;
}
