/**
 * `BENCH_PROFILE=1`: what the database connections do during a run, sampled from pg_stat_activity every
 * 20 ms: running (on CPU or waiting, by wait event) or idle inside a transaction (the server holds the
 * connection, and its row locks, while its own process works or waits between two statements).
 * Only one server is loaded at a time, so the busy connections are that server's.
 */
import type pg from 'pg';

export interface ActivitySample {
  samples: number;
  /** Mean number of connections per state (`active: <wait event>` or `active: CPU`, `idle in transaction`). */
  mean: Record<string, number>;
}

export async function sampleActivityDuring<T>(client: pg.Client, during: () => Promise<T>, everyMs = 20): Promise<{ result: T; activity: ActivitySample }> {
  const totals = new Map<string, number>();
  let samples = 0;
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const { rows } = await client.query<{ state: string; n: number }>(
        `select case when state = 'active' then 'active: ' || coalesce(wait_event_type || '/' || wait_event, 'CPU') else state end as state, count(*)::int as n
         from pg_stat_activity where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()
           and state in ('active', 'idle in transaction', 'idle in transaction (aborted)')
         group by 1`,
      );
      samples++;
      for (const r of rows) totals.set(r.state, (totals.get(r.state) ?? 0) + r.n);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  try {
    const result = await during();
    return { result, activity: { samples, mean: Object.fromEntries([...totals].map(([k, v]) => [k, v / Math.max(samples, 1)]).sort((a, b) => (b[1] as number) - (a[1] as number))) } };
  } finally {
    stop = true;
    await loop;
  }
}

export function activityLine(label: string, a: ActivitySample): string {
  const parts = Object.entries(a.mean).map(([k, v]) => `${k} ${v.toFixed(2)}`);
  const held = Object.values(a.mean).reduce((x, y) => x + y, 0);
  return `- ${label}: ${held.toFixed(2)} connections busy on average (${parts.join(', ') || 'none'}), ${a.samples} samples`;
}
