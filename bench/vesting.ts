/**
 * `npm run bench:vesting`: vesting schedules, the unlock job and the allocations list, each side by side
 * with a reference doing the same database work in the same run, on one fresh database.
 *
 *   schedule      10,000 allocations x 48 releases generated and stored: vestingSchedule alone (in this
 *                 process), then createAllocationForOrder for 10,000 PAID orders (a transaction each, as
 *                 the PAID transition runs it) against the same function's rows for 10,000 more orders
 *                 stored in bulk (INSERT ... SELECT FROM unnest) by the reference
 *   unlock        unlockDueReleases over 100,000 due releases (and with two workers at once, and a candidate
 *                 change for src/) against one UPDATE, and one statement writing the same outbox rows and
 *                 events; re-seeded before every run (bench/vesting/unlock-row.ts)
 *   allocations   allocations(first: 50) with each allocation's releases over HTTP as the SITE_ADMIN of a
 *                 site with 10,000 allocations x 13 releases, 50 connections, against plain Apollo (the
 *                 page, then a DataLoader batch for the releases) and the bare node:http server
 *
 *   BENCH_ROWS=schedule,unlock     only these rows
 *   BENCH_SERVERS=vestline,apollo  load only these servers in the allocations row (all answer the check)
 *   BENCH_RUNS=4 BENCH_DURATION_S=5 BENCH_WARMUP_S=2   allocations row: runs of each server, the defaults
 *   BENCH_UNLOCK_RUNS=2            unlock row: runs of each variant, each re-seeded (default 2, and 1 of the
 *                                  two-worker run and of the candidate); the table shows the median
 *   BENCH_VESTLINE_VARIANT=<dir>   allocations row: also load a second Vestline started from <dir>/src/main.ts
 *                                  (a copy of the tree with a candidate change), as bench:orders does
 *   BENCH_SCHEDULE_ORDERS=10000    schedule row: orders per side (fewer for a quick look)
 *   BENCH_PROFILE=1                also: a CPU profile of Vestline under one more allocations run (inspector),
 *                                  and of createAllocationForOrder in this process over 2,000 more orders
 *                                  of another site (neither in the tables); EXPLAIN ANALYZE of the list
 *                                  statements, Vestline's and the references'
 *   DATABASE_URL=postgres://…      a new database vl_bench_<random> on that server, dropped at the end
 *                                  (unset: an embedded PostgreSQL in a temp dir)
 */
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { buildDeps, type BuiltDeps } from '../src/deps.js';
import { createLogger } from '../src/logger.js';
import { freshDatabase } from './fresh-database.js';
import { checkRow, type CheckResult } from './platform/check.js';
import { measure, runFailed, warmUp, type RunResult, type Target } from './platform/load.js';
import { REPO_ROOT, rssBytes, startReferenceProcess, startVestlineProcess, type ServerProcess, type VestlineProcess, BENCH_ADMIN, vestlineEnv } from './platform/processes.js';
import { waitForQuietDatabase } from './platform/quiesce.js';
import { summarize, type ServerRowResult } from './platform/report.js';
import type { RowSpec } from './platform/rows.js';
import { SERVER_KINDS, SERVER_LABELS, settings, type ServerKind } from './platform/settings.js';
import { inspectorUrl, profileDuring, summarizeProfile, type CpuProfile } from './orders/cpu-profile.js';
import { gql } from './orders/seed.js';
import { startVariantProcess, variantRoot } from './orders/variant.js';
import { ALLOCATION_COLUMNS, ALLOCATION_FROM, RELEASE_COLUMNS, RELEASE_FROM } from '../src/services/vesting/allocation-view.js';
import { ALLOCATIONS_QUERY, PAGE_SQL, RELEASES_SQL } from './vesting/reference-allocations.js';
import { checkSchedules, measurePure, orderTotals, referenceStore, statsDelta, tableStats, vestlineStore, type PureResult, type ScheduleSide } from './vesting/schedule-row.js';
import { bulkPaidOrders, openSale, SCHEDULE_TERMS, seedList, STANDARD_TERMS, type SaleSite } from './vesting/seed.js';
import { runUnlock, UNLOCK_LABELS, UNLOCK_VARIANTS, type UnlockRun, type UnlockVariant } from './vesting/unlock-row.js';

const SETUP_BUDGET_MS = 240_000;
/** BENCH_SCHEDULE_ORDERS for a quick look; the row is 10,000. */
const SCHEDULE_ORDERS = Math.max(100, Number(process.env.BENCH_SCHEDULE_ORDERS ?? 10_000) || 10_000);
const SCHEDULE_RELEASES = SCHEDULE_TERMS.periods + 1;
const PROFILE_ORDERS = 2_000;
const PURE_RUNS = 5;
const UNLOCK_ALLOCATIONS = 10_000; // x 10 due releases = 100,000
const LIST_ALLOCATIONS = 10_000;
/** Far enough ahead that no schedule site's release is ever due. */
const FUTURE_TGE = new Date('2030-01-01T00:00:00.000Z');
const ROW_IDS = ['schedule', 'unlock', 'allocations'] as const;
type RowId = (typeof ROW_IDS)[number];

/** The platform bench's settings, but 4 runs of 5 s unless BENCH_RUNS / BENCH_DURATION_S say otherwise. */
const cfg = {
  ...settings,
  durationS: process.env.BENCH_DURATION_S ? settings.durationS : 5,
  runs: process.env.BENCH_RUNS ? settings.runs : 4,
};

/**
 * Unlock runs per variant (each re-seeded): 2 of Vestline and the two references, 1 of the two-worker run
 * and of the candidate, to keep the whole bench near 5 minutes; BENCH_UNLOCK_RUNS=n for n of each.
 */
function unlockRuns(v: UnlockVariant): number {
  const given = process.env.BENCH_UNLOCK_RUNS;
  if (given) return Math.min(Math.max(Number(given) || 1, 1), 9);
  return v === 'vestline-2-workers' || v === 'candidate' ? 1 : 2;
}

/** The allocations row's servers: the platform bench's three, and a Vestline variant when BENCH_VESTLINE_VARIANT names one. */
type Kind = ServerKind | 'variant';
const VARIANT = variantRoot();
const KINDS: Kind[] = [...SERVER_KINDS, ...(VARIANT ? (['variant'] as const) : [])];
const LABELS: Record<Kind, string> = { ...SERVER_LABELS, variant: `Vestline variant (${VARIANT ?? 'none'})` };
/** The platform's load and check helpers type a server as one of its three; a variant passes through them as it is. */
const asKind = (k: Kind) => k as ServerKind;

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
const logTail = (file: string) => readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');
const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a');
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length === 0 ? NaN : s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function chosenRows(): RowId[] {
  if (!cfg.rows) return [...ROW_IDS];
  const unknown = cfg.rows.filter((r) => !(ROW_IDS as readonly string[]).includes(r));
  if (unknown.length) throw new Error(`BENCH_ROWS: unknown row(s) ${unknown.join(', ')}; known: ${ROW_IDS.join(', ')}`);
  return ROW_IDS.filter((r) => cfg.rows!.includes(r));
}

function chosenServers(): Kind[] {
  if (!cfg.servers) return [...KINDS];
  const unknown = cfg.servers.filter((s) => !(KINDS as readonly string[]).includes(s));
  if (unknown.length) throw new Error(`BENCH_SERVERS: unknown server(s) ${unknown.join(', ')}; known: ${KINDS.join(', ')}`);
  return KINDS.filter((s) => cfg.servers!.includes(s));
}

/** A CPU profile of this process while `during` runs (the in-process Vestline side of the schedule row). */
async function profileHere<T>(during: () => Promise<T>): Promise<{ result: T; profile: CpuProfile }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.setSamplingInterval', { interval: 200 });
    await session.post('Profiler.start');
    const result = await during();
    const { profile } = await session.post('Profiler.stop');
    await session.post('Profiler.disable');
    return { result, profile: profile as unknown as CpuProfile };
  } finally {
    session.disconnect();
  }
}

/** EXPLAIN (ANALYZE, BUFFERS) of one statement: its plan's nodes with their actual times, and the total. */
async function explain(client: pg.Client, sql: string, params: unknown[]): Promise<string[]> {
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers, costs off, timing on) ${sql}`, params);
  return rows
    .map((r) => r['QUERY PLAN'])
    .filter((l) => /actual time|Execution Time|Hash Cond|Index Cond/.test(l))
    .map((l) => l.replace(/'\{[0-9a-f,-]{200,}\}'/g, (ids) => `'{${ids.split(',').length} ids}'`));
}

// ---------------------------------------------------------------------------------------------------
// report

function scheduleTable(pure: PureResult, sides: ScheduleSide[]): string[] {
  const ref = sides.find((s) => s.label.startsWith('reference'));
  const lines = [
    `| ${fmt(SCHEDULE_ORDERS)} allocations x ${SCHEDULE_RELEASES} releases | allocations/s | releases/s | seconds | ÷ reference | CPU ms per allocation (this process) | per order p50 / p99 ms |`,
    '|---|---:|---:|---:|---:|---:|---:|',
    `| vestingSchedule alone, in memory (median of ${pure.runs.length} passes) | ${fmt(pure.schedulesPerSec)} | ${fmt(pure.releasesPerSec)} | ${fmt(SCHEDULE_ORDERS / pure.schedulesPerSec, 3)} |  | ${fmt(1000 / pure.schedulesPerSec, 4)} |  |`,
  ];
  for (const s of sides) {
    const rate = s.allocations / s.seconds;
    const ratio = ref && s !== ref ? `${fmt(rate / (ref.allocations / ref.seconds), 2)}×` : s === ref ? '1.00×' : '';
    lines.push(
      `| ${s.label} | ${fmt(rate)} | ${fmt(s.releases / s.seconds)} | ${fmt(s.seconds, 2)} | ${ratio} | ${fmt(s.cpuMsPerAllocation, 3)} | ${s.p50Ms === undefined ? '' : `${fmt(s.p50Ms, 2)} / ${fmt(s.p99Ms!, 2)}`} |`,
    );
  }
  return lines;
}

function unlockTable(runs: UnlockRun[]): string[] {
  const byVariant = new Map<UnlockVariant, UnlockRun[]>();
  for (const r of runs) byVariant.set(r.variant, [...(byVariant.get(r.variant) ?? []), r]);
  const refS = median((byVariant.get('reference') ?? []).map((r) => r.seconds));
  const lines = [
    '| 100,000 due releases | seconds (median) | all runs, s | releases/s | reference ÷ this (time) | outbox rows | events (150 ids each) | CPU ms in this process | unlocked per call |',
    '|---|---:|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const v of UNLOCK_VARIANTS) {
    const rs = byVariant.get(v);
    if (!rs?.length) continue;
    const s = median(rs.map((r) => r.seconds));
    lines.push(
      `| ${UNLOCK_LABELS[v]} | ${fmt(s, 2)} | ${rs.map((r) => fmt(r.seconds, 2)).join(', ')} | ${fmt(rs[0]!.unlocked / s)} | ${Number.isFinite(refS) ? `${fmt(refS / s, 2)}×` : ''} | ${rs[0]!.outbox === null ? 'n/a' : fmt(rs[0]!.outbox)} | ${v === 'reference' ? '' : fmt(median(rs.map((r) => r.events)))} | ${v.startsWith('reference') ? '' : fmt(median(rs.map((r) => r.cpuMs)))} | ${rs.map((r) => r.split.map((x) => fmt(x)).join(' + ')).join('; ')} |`,
    );
  }
  return lines;
}

interface ListReport {
  servers: ServerRowResult[];
  check: CheckResult;
}

function listTable(r: ListReport): string[] {
  const sums = new Map<Kind, ReturnType<typeof summarize>>(r.servers.map((s) => [s.server, summarize(s)]));
  const lines = [
    '| row | server | req/s | p50 ms | p99 ms | ÷ bare | ÷ Apollo | CPU ms/req | max RSS MiB | errors / non-2xx / wrong body | 1 req alone, ms |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const s of r.servers) {
    const m = sums.get(s.server)!;
    const none = s.runs.every((x) => x.requests === 0);
    const ratio = (other: Kind) => {
      if (s.server === other) return '1.00×';
      const o = sums.get(other);
      return o && o.reqPerSec > 0 ? `${fmt(m.reqPerSec / o.reqPerSec, 2)}×` : '';
    };
    lines.push(
      `| allocations(first: 50) with releases, 10k in site | ${LABELS[s.server]} | ${fmt(m.reqPerSec)} | ${none ? 'n/a' : fmt(m.p50)} | ${none ? 'n/a' : fmt(m.p99)} | ${ratio('bare')} | ${ratio('apollo')} | ${fmt(m.cpuMsPerReq, 3)} | ${fmt(m.maxRssMiB)} | ${m.errors} / ${m.non2xx} / ${m.mismatches}${none ? ' **FAILED: no request completed**' : m.failed ? ' **FAILED**' : ''} | ${fmt(r.check.idleMs[s.server] ?? NaN, 1)} |`,
    );
  }
  return lines;
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const rowIds = chosenRows();
  const servers = chosenServers();
  const profiling = process.env.BENCH_PROFILE === '1';
  const loadS = rowIds.includes('allocations') ? KINDS.length * (cfg.warmupS + 5 + (cfg.runs + (profiling ? 1 : 0)) * (cfg.durationS + 3)) : 0;
  const deadlineMs = SETUP_BUDGET_MS + Math.ceil((loadS + (rowIds.includes('schedule') ? 240 : 0) + (rowIds.includes('unlock') ? UNLOCK_VARIANTS.reduce((a, v) => a + unlockRuns(v), 0) * 25 : 0)) * 1000 * 1.3);

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
  };
  const abort = (code: number, why: string) => {
    log(why);
    setTimeout(() => process.exit(code), 20_000).unref();
    void cleanup().finally(() => process.exit(code));
  };
  const deadline = setTimeout(() => abort(2, `still running after ${Math.round(deadlineMs / 1000)} s, giving up`), deadlineMs);
  deadline.unref();
  process.once('SIGINT', () => abort(130, 'interrupted'));
  process.once('SIGTERM', () => abort(143, 'terminated'));

  let succeeded = false;
  let vestlineProcess: VestlineProcess | null = null;
  try {
    const started = Date.now();
    log(`rows ${rowIds.join(', ')}; allocations row: servers ${servers.join(', ')}, ${cfg.runs} run(s) of ${cfg.durationS} s after ${cfg.warmupS} s warm-up; unlock row: ${UNLOCK_VARIANTS.map((v) => `${v} ${unlockRuns(v)}`).join(', ')} run(s); hard stop after ${Math.round(deadlineMs / 1000)} s`);
    log('creating a fresh database');
    const db = await freshDatabase();
    cleanups.push(() => db.drop());
    const logDir = await mkdtemp(join(tmpdir(), 'vestline-bench-vesting-'));
    cleanups.push(async () => {
      if (succeeded) await rm(logDir, { recursive: true, force: true });
      else log(`Vestline's log kept: ${join(logDir, 'vestline.log')}`);
    });
    const env = vestlineEnv(db.url, { DB_POOL_MAX: String(cfg.poolMax), ...(profiling ? { NODE_OPTIONS: '--inspect=127.0.0.1:0' } : {}) });
    log('starting Vestline (src/main.ts --role=api, migrations on start)');
    const vestline = await startVestlineProcess(env, join(logDir, 'vestline.log'));
    vestlineProcess = vestline;
    cleanups.push(() => vestline.stop());
    let variant: VestlineProcess | null = null;
    if (VARIANT && rowIds.includes('allocations')) {
      log(`starting the Vestline variant from ${VARIANT}`);
      const { NODE_OPTIONS: _inspect, ...variantEnv } = env;
      const v = await startVariantProcess(VARIANT, variantEnv, join(logDir, 'variant.log'));
      variant = v;
      cleanups.push(() => v.stop());
    }

    log('opening the sites for sale through the API');
    const { login } = await gql<{ login: { token: string } }>(vestline.graphqlUrl, 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }', { e: BENCH_ADMIN.email, p: BENCH_ADMIN.password });
    const sites: Partial<Record<'schedA' | 'schedB' | 'schedP' | 'unlock' | 'list', SaleSite>> = {};
    if (rowIds.includes('schedule')) {
      sites.schedA = await openSale(vestline.graphqlUrl, login.token, 'bench-vesting-schedule-vestline', SCHEDULE_TERMS, FUTURE_TGE);
      sites.schedB = await openSale(vestline.graphqlUrl, login.token, 'bench-vesting-schedule-reference', SCHEDULE_TERMS, FUTURE_TGE);
      if (profiling) sites.schedP = await openSale(vestline.graphqlUrl, login.token, 'bench-vesting-schedule-profile', SCHEDULE_TERMS, FUTURE_TGE);
    }
    if (rowIds.includes('unlock')) sites.unlock = await openSale(vestline.graphqlUrl, login.token, 'bench-vesting-unlock', STANDARD_TERMS, null);
    // Always: the list row reads it, and the other rows run on a database already in use (see seedList).
    sites.list = await openSale(vestline.graphqlUrl, login.token, 'bench-vesting-list', STANDARD_TERMS, null);

    // Vestline's use cases in this process (the schedule and unlock rows), on the same database: the
    // worker's dependencies, as the raw-SQL isolation test builds them; migrations are done.
    log('building Vestline dependencies in this process (buildDeps)');
    const config = loadConfig({ ...env, LOG_LEVEL: 'silent', MIGRATE_ON_START: '0', NODE_OPTIONS: undefined }, ['--role=worker']);
    const built: BuiltDeps = await buildDeps(config, createLogger('silent'));
    cleanups.push(() => built.close());
    const deps = built.deps;

    const monitor = new pg.Client({ connectionString: db.url });
    await monitor.connect();
    cleanups.push(() => monitor.end());
    const pgVersion = String((await monitor.query<{ server_version: string }>('show server_version')).rows[0]?.server_version);
    const now = new Date();
    const bulkT0 = Date.now();
    if (sites.schedA && sites.schedB) {
      for (const s of [sites.schedA, sites.schedB]) await bulkPaidOrders(monitor, s, SCHEDULE_ORDERS);
      if (sites.schedP) await bulkPaidOrders(monitor, sites.schedP, PROFILE_ORDERS);
      log(`bulk insert: ${fmt(SCHEDULE_ORDERS)} PAID orders in each schedule site`);
    }
    const listSeed = await seedList(monitor, sites.list, LIST_ALLOCATIONS, now);
    log(`bulk insert: list site: ${fmt(listSeed.allocations)} allocations, ${fmt(listSeed.releases)} releases (${fmt(listSeed.shown)} not cancelled)`);
    // Statistics of tables holding rows, as autovacuum keeps them. Without it (the CI server here runs
    // with autovacuum = off), a table analyzed while empty keeps its foreign-key checks on sequential
    // scans: every release insert would scan all of `allocation` (docs/performance.md, "Vesting").
    await monitor.query('vacuum (analyze) payment_order, allocation, vesting_release, audit_entry, asset, site, app_user, vesting_plan, wallet');
    const autovacuum = String((await monitor.query<{ autovacuum: string }>('show autovacuum')).rows[0]?.autovacuum);
    const setupS = (Date.now() - started) / 1000;
    log(`bulk rows and vacuum analyze: ${((Date.now() - bulkT0) / 1000).toFixed(1)} s; setup ${setupS.toFixed(0)} s`);
    const quiet = async (what: string) => {
      const q = await waitForQuietDatabase(monitor);
      if (q.waitedMs < 0) log(`${what}: the database was still busy 60 s after the run; going on`);
      else if (q.waitedMs > 1000) log(`${what}: ${(q.waitedMs / 1000).toFixed(1)} s until the database was quiet; ${q.cancelled} leftover statement(s) cancelled`);
    };
    const checkpoint = () => monitor.query('checkpoint').catch(() => undefined);

    const out: string[] = [];
    const json: Record<string, unknown> = {};
    const profiles: { row: string; lines: string[]; file: string }[] = [];

    // ---- schedule -----------------------------------------------------------------------------------
    if (sites.schedA && sites.schedB) {
      const { totals, terms, startAt } = await orderTotals(monitor, sites.schedA.siteId);
      const pure = measurePure(totals, terms, startAt, PURE_RUNS);
      log(`schedule / pure: ${fmt(pure.schedulesPerSec)} schedules/s (${pure.runs.map((r) => fmt(r)).join(', ')})`);
      await checkpoint();
      log(`schedule / Vestline: createAllocationForOrder for ${fmt(SCHEDULE_ORDERS)} orders, one transaction each`);
      const TABLES = ['allocation', 'vesting_release', 'payment_order', 'site', 'asset', 'vesting_plan', 'audit_entry', 'app_user'];
      let stats0 = await tableStats(monitor, TABLES);
      const v = await vestlineStore(deps, monitor, sites.schedA);
      let stats1 = await tableStats(monitor, TABLES);
      v.tables = statsDelta(stats0, stats1);
      log(`schedule / Vestline: ${fmt(v.allocations / v.seconds)} allocations/s, ${fmt(v.releases / v.seconds)} releases/s (${v.seconds.toFixed(1)} s); ${v.tables}`);
      await quiet('schedule / Vestline');
      await checkpoint();
      log('schedule / reference: bulk insert of the same rows for the second site');
      stats0 = await tableStats(monitor, TABLES);
      const r = await referenceStore(monitor, sites.schedB);
      stats1 = await tableStats(monitor, TABLES);
      r.tables = statsDelta(stats0, stats1);
      log(`schedule / reference: ${fmt(r.allocations / r.seconds)} allocations/s, ${fmt(r.releases / r.seconds)} releases/s (${r.seconds.toFixed(1)} s); ${r.tables}`);
      const check = await checkSchedules(monitor, [sites.schedA, sites.schedB], SCHEDULE_ORDERS, SCHEDULE_RELEASES);
      log(`check schedule: ${check.notes.join('; ')}`);
      if (sites.schedP) {
        log(`schedule / Vestline: CPU profile of this process over ${fmt(PROFILE_ORDERS)} more orders (a third site)`);
        const { result, profile } = await profileHere(() => vestlineStore(deps, monitor, sites.schedP!));
        profiles.push({ row: 'schedule', lines: [`Profiled: ${fmt(result.allocations / result.seconds)} allocations/s, ${result.cpuMsPerAllocation.toFixed(3)} ms CPU per allocation`, ...summarizeProfile(profile)], file: JSON.stringify(profile) });
      }
      out.push(
        '',
        '### Schedules generated and stored',
        '',
        `Plan: ${terms.tgeBps / 100}% at TGE, ${terms.cliffDays}-day cliff, ${terms.periods} periods of ${terms.periodDays} days (${SCHEDULE_RELEASES} releases); totals of 200..100,180 tokens (18 decimals), different per order.`,
        '',
        ...scheduleTable(pure, [v, r]),
        '',
        ...[v, r].map((s) => `- ${s.label}: ${s.detail}`),
        `- checks: ${check.notes.join('; ')}`,
      );
      json.schedule = { pure, sides: [v, r], checks: check.notes };
    }

    // ---- unlock -------------------------------------------------------------------------------------
    if (sites.unlock) {
      const runs: UnlockRun[] = [];
      const most = Math.max(...UNLOCK_VARIANTS.map(unlockRuns));
      for (let run = 0; run < most; run++) {
        for (let i = 0; i < UNLOCK_VARIANTS.length; i++) {
          const variant = UNLOCK_VARIANTS[(i + run) % UNLOCK_VARIANTS.length]!;
          if (run >= unlockRuns(variant)) continue;
          const r = await runUnlock(variant, { deps, databaseUrl: db.url, monitor, site: sites.unlock, allocations: UNLOCK_ALLOCATIONS });
          runs.push(r);
          log(
            `unlock / ${variant}: run ${run + 1}: ${r.seconds.toFixed(2)} s for ${fmt(r.unlocked)} releases (${r.split.map((x) => fmt(x)).join(' + ')}), ${r.events} events, ${fmt(r.cpuMs)} ms CPU here; re-seeded in ${r.reseedSeconds.toFixed(1)} s`,
          );
        }
      }
      out.push(
        '',
        '### Unlock job, 100,000 due releases',
        '',
        `Unlock site re-seeded before every run: ${fmt(UNLOCK_ALLOCATIONS)} allocations x 13 releases, 10 due (LOCKED, unlock_at in the past) and 3 not; every other release of the database is not due. Runs per variant in rotating order: ${UNLOCK_VARIANTS.map((v) => `${v} ${unlockRuns(v)}`).join(', ')}.`,
        '',
        ...unlockTable(runs),
        '',
        '- checks after every run: all 100,000 due releases UNLOCKED, the 30,000 not due still LOCKED, no due LOCKED release left in the database; the calls returned 100,000 in all (none unlocked twice); with events, every unlocked id named in exactly one event; one release.unlocked outbox row per release (none from the plain UPDATE)',
      );
      json.unlock = runs;
    }

    // ---- allocations list ---------------------------------------------------------------------------
    if (rowIds.includes('allocations')) {
      log('starting the bare and plain Apollo servers');
      const bare = await startReferenceProcess('bare', db.url, cfg.poolMax);
      cleanups.push(() => bare.stop());
      const apollo = await startReferenceProcess('apollo', db.url, cfg.poolMax);
      cleanups.push(() => apollo.stop());
      const procs: Partial<Record<Kind, ServerProcess>> = { bare, apollo, vestline, ...(variant ? { variant } : {}) };
      const idleRss = Object.fromEntries(KINDS.map((k) => [k, rssBytes(procs[k]!.pid) / 2 ** 20]));
      const body = JSON.stringify({ query: ALLOCATIONS_QUERY });
      const list = sites.list!;
      const targets: Target[] = [
        { server: 'vestline', process: vestline, url: vestline.graphqlUrl, headers: { authorization: `Bearer ${list.adminToken}` }, body },
        ...(variant ? [{ server: asKind('variant'), process: variant, url: variant.graphqlUrl, headers: { authorization: `Bearer ${list.adminToken}` }, body }] : []),
        { server: 'bare', process: bare, url: `${bare.url}/allocations/${list.siteId}`, headers: {}, body },
        { server: 'apollo', process: apollo, url: `${apollo.url}/`, headers: { 'x-user-id': list.adminId, 'x-site-id': list.siteId }, body },
      ];
      // The platform bench's check: 200 and data, the three answers deep-equal, 50 edges (the selection
      // has no pageInfo, so the next-page part of its shape check is not asked for); the exact text
      // becomes each server's expected body under load.
      const spec = { id: 'allocations', title: 'allocations(first: 50) with releases', query: ALLOCATIONS_QUERY, caller: 'super', expect: { list: 'allocations', length: 50, hasNextPage: undefined } } as unknown as RowSpec;
      const check = await checkRow(spec, targets);
      const page = JSON.parse(targets[0]!.expectBody!) as { data: { allocations: { edges: { node: { id: string; status: string; claimableAmount: string; lockedAmount: string; releases: { status: string }[] } }[] } } };
      const nodes = page.data.allocations.edges.map((e) => e.node);
      const { rows: dbRows } = await monitor.query<{ shown: number }>(`select count(*)::int as shown from vesting_release where allocation_id = any($1::uuid[]) and status <> 'CANCELLED'`, [nodes.map((n) => n.id)]);
      const shownReleases = nodes.reduce((a, n) => a + n.releases.length, 0);
      if (shownReleases !== dbRows[0]!.shown) throw new Error(`allocations: the page shows ${shownReleases} releases, the database holds ${dbRows[0]!.shown} not cancelled for its allocations`);
      const states = new Set(nodes.flatMap((n) => n.releases.map((r) => r.status)));
      const allocStates = new Set(nodes.map((n) => n.status));
      const listNote = `answers deep-equal${check.byteIdentical ? ' and byte-identical' : ` (${check.textNote})`} across the servers, ${fmt(check.bytes.vestline ?? NaN)} bytes; 50 allocations (${[...allocStates].join(', ')}) with ${fmt(shownReleases)} releases (${[...states].join(', ')}), as many as the database holds not cancelled for them`;
      log(`check allocations: ${listNote}; one at a time: ${Object.entries(check.idleMs).map(([k, ms]) => `${k} ${ms.toFixed(1)} ms`).join(', ')}`);
      const plans: string[] = [];
      if (profiling) {
        // The statements behind one answer, as Vestline sends them (listAllocations through keysetRows, and
        // loadAllocationReleases: the columns and FROM clauses are src/'s own) and as the references do.
        const ids = nodes.map((n) => n.id);
        const cases: [string, string, unknown[]][] = [
          [
            "Vestline's page (keysetRows)",
            `select ${ALLOCATION_COLUMNS}, al.created_at as keyset_at, al.id as keyset_id from ${ALLOCATION_FROM} where al.site_id = $1 order by al.created_at desc, al.id desc limit $2`,
            [list.siteId, 51],
          ],
          ["the references' page", PAGE_SQL, [list.siteId, 51]],
          [
            "Vestline's releases (loadAllocationReleases)",
            `select ${RELEASE_COLUMNS} from ${RELEASE_FROM} where r.allocation_id = any($1::uuid[]) and r.site_id = $2 and r.status <> 'CANCELLED' order by r.allocation_id, r.index`,
            [ids, list.siteId],
          ],
          ["the references' releases", RELEASES_SQL, [ids, list.siteId]],
        ];
        const { rows: counts } = await monitor.query<{ allocations: number; releases: number }>('select (select count(*)::int from allocation) as allocations, (select count(*)::int from vesting_release) as releases');
        plans.push(`Plans of the statements behind one answer (EXPLAIN ANALYZE, warm; the database holds ${fmt(counts[0]!.allocations)} allocations and ${fmt(counts[0]!.releases)} releases of all sites):`, '');
        for (const [name, sql, params] of cases) {
          await monitor.query(`explain (analyze) ${sql}`, params); // warm
          plans.push(`${name}:`, '```', ...(await explain(monitor, sql, params)), '```', '');
        }
      }

      const loaded = targets.filter((t) => servers.includes(t.server));
      const byServer = new Map<Kind, ServerRowResult>(loaded.map((t) => [t.server, { server: t.server, runs: [] }]));
      const warm = new Set<Kind>();
      const opts = { connections: cfg.connections, timeoutS: cfg.requestTimeoutS };
      await checkpoint();
      for (let run = 0; run < cfg.runs; run++) {
        for (let i = 0; i < loaded.length; i++) {
          const t = loaded[(i + run) % loaded.length]!;
          if (!warm.has(t.server)) {
            log(`allocations / ${t.server}: warm-up ${cfg.warmupS} s`);
            await warmUp(t, opts, cfg.warmupS);
            await quiet(`allocations / ${t.server} warm-up`);
            warm.add(t.server);
          }
          const r: RunResult = await measure(t, opts, cfg.durationS);
          await quiet(`allocations / ${t.server} run ${run + 1}`);
          byServer.get(t.server)!.runs.push(r);
          log(
            `allocations / ${t.server}: run ${run + 1}: ${r.reqPerSec.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.cpuMsPerReq.toFixed(3)} ms CPU/req` +
              (runFailed(r) ? `, FAILED: ${r.errors} errors (${r.timeouts} timeouts), ${r.non2xx} non-2xx, ${r.mismatches} wrong bodies` : ''),
          );
        }
      }
      if (profiling) {
        const t = loaded.find((x) => x.server === 'vestline');
        if (t) {
          log(`allocations / vestline: CPU profile over one more ${cfg.durationS} s run`);
          let r: RunResult | null = null;
          const profile = await profileDuring(inspectorUrl(vestline.logFile), async () => {
            r = await measure(t, opts, cfg.durationS);
          });
          await quiet('allocations / vestline profile');
          const rr = r! as RunResult;
          profiles.push({ row: 'allocations', lines: [`Profiled run: ${rr.reqPerSec.toFixed(0)} req/s, ${rr.cpuMsPerReq.toFixed(3)} ms CPU/req${runFailed(rr) ? ' (FAILED run)' : ''}`, ...summarizeProfile(profile)], file: JSON.stringify(profile) });
        }
      }
      const report: ListReport = { servers: loaded.map((t) => byServer.get(t.server)!), check };
      const sums = new Map<Kind, ReturnType<typeof summarize>>(report.servers.map((s) => [s.server, summarize(s)]));
      const a = sums.get('apollo');
      const verdict =
        (['vestline', 'variant'] as const)
          .flatMap((k) => {
            const v = sums.get(k);
            return v && a && a.reqPerSec > 0 ? [`${LABELS[k]} ÷ plain Apollo = ${fmt(v.reqPerSec / a.reqPerSec, 2)}× (target ≥ 0.8×: ${v.reqPerSec / a.reqPerSec >= 0.8 ? 'met' : 'NOT met'})`] : [];
          })
          .join('; ') || 'Vestline or plain Apollo not loaded';
      out.push(
        '',
        '### allocations(first: 50) with releases',
        '',
        `Load: autocannon in this process, ${cfg.connections} connections to 127.0.0.1, POST of the same body; per server ${cfg.warmupS} s warm-up, then ${cfg.runs} run(s) of ${cfg.durationS} s in rotating server order; medians; CPU = utime+stime of the server process ÷ requests; pg Pool max ${cfg.poolMax} in every server; RSS after start: ${Object.entries(idleRss).map(([k, x]) => `${k} ${x.toFixed(0)} MiB`).join(', ')}`,
        `Data: the list site holds ${fmt(listSeed.allocations)} allocations and ${fmt(listSeed.releases)} releases (${fmt(listSeed.shown)} not cancelled), bulk-inserted`,
        `Query: \`${ALLOCATIONS_QUERY}\``,
        '',
        ...listTable(report),
        '',
        `Target: ${verdict}`,
        `Checks: ${listNote}`,
        ...(plans.length ? ['', ...plans] : []),
      );
      json.allocations = { check, servers: report.servers.map((s) => ({ server: s.server, label: LABELS[s.server], median: summarize(s), runs: s.runs })), idleRss, seed: listSeed, verdict };
      const failed = report.servers.filter((s) => s.runs.some(runFailed));
      if (failed.length) log(`FAILED: allocations on ${failed.map((s) => s.server).join(', ')}`);
      json.failed = failed.length > 0;
    }

    const cpu = cpus();
    const command = [
      ...['BENCH_ROWS', 'BENCH_SERVERS', 'BENCH_RUNS', 'BENCH_DURATION_S', 'BENCH_WARMUP_S', 'BENCH_UNLOCK_RUNS', 'BENCH_SCHEDULE_ORDERS', 'BENCH_PROFILE', 'BENCH_VESTLINE_VARIANT'].flatMap((k) => (process.env[k] ? [`${k}=${process.env[k]}`] : [])),
      process.env.DATABASE_URL ? 'DATABASE_URL=<server>' : '',
      'npm run bench:vesting',
    ]
      .filter(Boolean)
      .join(' ');
    const date = new Date().toISOString();
    const header = [
      `Date: ${date}`,
      `Command: ${command}  (node --import @swc-node/register/esm-register bench/vesting.ts)`,
      `Machine: ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${process.platform}/${process.arch}`,
      `Runtime: Node ${process.version}, PostgreSQL ${pgVersion} (${db.description}; autovacuum ${autovacuum}: the bench analyzes the tables after seeding)`,
      `Servers: Vestline as in bench:platform (src/main.ts --role=api, NODE_ENV=production, LOG_LEVEL=info to a file, Bearer session token); the schedule and unlock rows call Vestline's use cases in this process (buildDeps, the ORM's pool of ${cfg.poolMax}); bare = bench/baseline-server.ts; plain Apollo = bench/apollo-server.ts${VARIANT ? `; variant = ${VARIANT}/src/main.ts with the same configuration` : ''}`,
      `Setup ${setupS.toFixed(0)} s, total ${((Date.now() - started) / 1000).toFixed(0)} s`,
      ...out,
    ];
    const dir = join(REPO_ROOT, 'bench', 'results');
    await mkdir(dir, { recursive: true });
    for (const p of profiles) {
      const file = join(dir, `vesting-${date.replace(/[:.]/g, '-')}-${p.row}.cpuprofile`);
      await writeFile(file, p.file);
      header.push('', `CPU profile of Vestline, ${p.row} (${file.slice(REPO_ROOT.length)}):`, '', ...p.lines);
    }
    console.log(header.join('\n'));
    const file = join(dir, `vesting-${date.replace(/[:.]/g, '-')}.json`);
    await writeFile(file, `${JSON.stringify({ date, command, settings: cfg, setupSeconds: setupS, totalSeconds: (Date.now() - started) / 1000, ...json }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2)}\n`);
    log(`results written to ${file}; total ${((Date.now() - started) / 1000).toFixed(0)} s`);
    succeeded = json.failed !== true;
    return succeeded ? 0 : 1;
  } catch (e) {
    const exited = vestlineProcess?.exitReason();
    if (vestlineProcess && exited) log(`${exited}; its log ends with:\n${logTail(vestlineProcess.logFile)}`);
    throw e;
  } finally {
    log('stopping');
    await cleanup();
    clearTimeout(deadline);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  },
);
