/**
 * Between runs: wait until the database has no statement left running for this benchmark's database.
 * When a run ends, autocannon drops its connections, but a server still works through the requests it
 * had queued (its pool cannot cancel them), and a slow row (seconds per statement) would otherwise run
 * into the next server's run. After a grace period, statements still running are cancelled
 * (pg_cancel_backend): their clients are gone, the servers answer them with an error nobody reads.
 */
import type pg from 'pg';

const QUIET_POLLS = 2;
const POLL_MS = 50;
const GRACE_MS = 1000;

export interface QuietResult {
  /** Milliseconds waited; -1 when the database was still busy after `maxMs`. */
  waitedMs: number;
  /** Statements cancelled after the grace period. */
  cancelled: number;
}

export async function waitForQuietDatabase(client: pg.Client, maxMs = 60_000): Promise<QuietResult> {
  const t0 = Date.now();
  let quiet = 0;
  let cancelled = 0;
  while (Date.now() - t0 < maxMs) {
    const { rows } = await client.query<{ pid: number }>(
      `select pid from pg_stat_activity where datname = current_database() and state = 'active' and backend_type = 'client backend' and pid <> pg_backend_pid()`,
    );
    quiet = rows.length === 0 ? quiet + 1 : 0;
    if (quiet >= QUIET_POLLS) return { waitedMs: Date.now() - t0, cancelled };
    if (rows.length && Date.now() - t0 > GRACE_MS) {
      const r = await client.query<{ ok: boolean }>('select pg_cancel_backend(pid) as ok from unnest($1::int[]) as pid', [rows.map((x) => x.pid)]);
      cancelled += r.rows.filter((x) => x.ok).length;
    }
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
  return { waitedMs: -1, cancelled };
}
