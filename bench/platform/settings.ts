/** Settings of `npm run bench:platform`, from the environment (see docs/performance.md). */

function num(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number (got "${raw}")`);
  return Math.min(Math.max(Math.round(n), min), max);
}

function list(name: string): string[] | null {
  const raw = process.env[name]?.trim();
  return raw ? raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean) : null;
}

export const SERVER_KINDS = ['bare', 'apollo', 'vestline'] as const;
export type ServerKind = (typeof SERVER_KINDS)[number];

export const SERVER_LABELS: Record<ServerKind, string> = {
  bare: 'bare node:http + pg',
  apollo: 'plain Apollo 5 + pg',
  vestline: 'Vestline',
};

export const settings = {
  /** Measured runs per row and server; the table shows the median. */
  runs: num('BENCH_RUNS', 3, 1, 9),
  /** Seconds of each measured run. */
  durationS: num('BENCH_DURATION_S', 4, 1, 60),
  /** Seconds of warm-up per row and server, before its first measured run. */
  warmupS: num('BENCH_WARMUP_S', 2, 0, 30),
  connections: 50,
  /** Same pool size in all three servers (Vestline: DB_POOL_MAX). */
  poolMax: 10,
  sites: 20,
  /** A slow answer counts as an error after this long (autocannon's `timeout`, seconds). */
  requestTimeoutS: 30,
  /** Row ids to run (BENCH_ROWS=me,sites); null: all. */
  rows: list('BENCH_ROWS'),
  /** Servers to load (BENCH_SERVERS=vestline); all three always answer the correctness check. */
  servers: list('BENCH_SERVERS'),
};
