/**
 * `npm run bench:platform`: Vestline's authenticated reads against a bare node:http + pg server and a
 * plain Apollo Server, each in its own process on the same fresh database with the same rows.
 * autocannon runs here, in the parent. See docs/performance.md for what is measured and how.
 *
 *   BENCH_ROWS=me,sites        only these rows (me, sites, wallets-10k, audit-1k, audit-1m, wallets-1k, wallets-1m)
 *   BENCH_SERVERS=vestline     load only these servers (all three still answer the correctness check)
 *   BENCH_RUNS=3 BENCH_DURATION_S=4 BENCH_WARMUP_S=2   the defaults: about 7 minutes for everything on 2 cores
 *                              (7 rows x 3 servers x 3 runs: 10 s runs would take 13+ minutes)
 *   DATABASE_URL=postgres://…  a new database vl_bench_<random> on that server, dropped at the end
 *                              (unset: an embedded PostgreSQL in a temp dir)
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freshDatabase } from './fresh-database.js';
import { checkRow } from './platform/check.js';
import { measure, runFailed, warmUp, type LoadOptions, type Target } from './platform/load.js';
import { rssBytes, startReferenceProcess, startVestlineProcess, type ServerProcess, type VestlineProcess, BENCH_ADMIN, vestlineEnv } from './platform/processes.js';
import { waitForQuietDatabase } from './platform/quiesce.js';
import { markdown, writeJson, type ReportHeader, type RowResult, type ServerRowResult } from './platform/report.js';
import { FIXTURES, selectRows, type RowSpec } from './platform/rows.js';
import { API_WALLETS, fixturesFor, seedBulk, seedThroughApi, type Seeded } from './platform/seed.js';
import { SERVER_KINDS, SERVER_LABELS, settings, type ServerKind } from './platform/settings.js';

/** Start-up, seeding (two million rows at most) and clean-up, on top of the load itself. */
const SETUP_BUDGET_MS = 360_000;

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);
const logTail = (file: string) => readFileSync(file, 'utf8').split('\n').slice(-30).join('\n');

function chosenServers(): ServerKind[] {
  if (!settings.servers) return [...SERVER_KINDS];
  const unknown = settings.servers.filter((s) => !(SERVER_KINDS as readonly string[]).includes(s));
  if (unknown.length) throw new Error(`BENCH_SERVERS: unknown server(s) ${unknown.join(', ')}; known: ${SERVER_KINDS.join(', ')}`);
  return SERVER_KINDS.filter((s) => settings.servers!.includes(s));
}

function targetsFor(row: RowSpec, seeded: Seeded, procs: { bare: ServerProcess; apollo: ServerProcess; vestline: VestlineProcess }): Target[] {
  const body = JSON.stringify({ query: row.query });
  const caller = row.caller === 'super' ? { userId: seeded.superId, token: seeded.superToken, siteId: null } : seeded.callers[row.caller]!;
  const list = row.expect.list;
  const barePath = list === 'me' ? `/me/${caller.userId}` : list === 'sites' ? '/sites' : list === 'auditLog' ? `/audit/${caller.siteId}` : `/wallets/${caller.siteId}`;
  const apolloHeaders: Record<string, string> = { 'x-user-id': caller.userId };
  if (caller.siteId) apolloHeaders['x-site-id'] = caller.siteId;
  return [
    { server: 'vestline', process: procs.vestline, url: procs.vestline.graphqlUrl, headers: { authorization: `Bearer ${caller.token}` }, body },
    { server: 'bare', process: procs.bare, url: `${procs.bare.url}${barePath}`, headers: {}, body },
    { server: 'apollo', process: procs.apollo, url: `${procs.apollo.url}/`, headers: apolloHeaders, body },
  ];
}

async function main(): Promise<number> {
  const rows = selectRows(settings.sites, settings.rows);
  const servers = chosenServers();
  const fixtures = fixturesFor(rows);
  // Per run: the run itself, up to ~3 s to cancel a slow row's leftovers, and some slack.
  const loadMs = rows.length * servers.length * (settings.warmupS + 5 + settings.runs * (settings.durationS + 5)) * 1000;
  const deadlineMs = SETUP_BUDGET_MS + Math.ceil(loadMs * 1.3);

  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
  };
  /** Cleans up and exits; gives up on the clean-up itself after 20 s. */
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
    log(`rows ${rows.map((r) => r.id).join(', ')}; servers ${servers.join(', ')}; ${settings.runs} run(s) of ${settings.durationS} s after ${settings.warmupS} s warm-up; hard stop after ${Math.round(deadlineMs / 1000)} s`);
    log('creating a fresh database');
    const db = await freshDatabase();
    cleanups.push(() => db.drop());

    const logDir = await mkdtemp(join(tmpdir(), 'vestline-bench-'));
    // Vestline's log is kept when the run fails, for the post-mortem.
    cleanups.push(async () => {
      if (succeeded) await rm(logDir, { recursive: true, force: true });
      else log(`Vestline's log kept: ${join(logDir, 'vestline.log')}`);
    });
    const env = vestlineEnv(db.url, { DB_POOL_MAX: String(settings.poolMax) });
    log('starting Vestline (src/main.ts --role=api, migrations on start)');
    const vestline = await startVestlineProcess(env, join(logDir, 'vestline.log'));
    vestlineProcess = vestline;
    cleanups.push(() => vestline.stop());

    log(`creating ${settings.sites} sites, ${fixtures.length} SITE_ADMIN(s) and their real wallets through the API`);
    const api = await seedThroughApi(vestline.graphqlUrl, BENCH_ADMIN, settings.sites, fixtures);
    const bulk = await seedBulk(db.url, api, fixtures, log);
    const seeded: Seeded = { ...api, bulk };
    const setupS = (Date.now() - started) / 1000;

    log('starting the bare and plain Apollo servers');
    const bare = await startReferenceProcess('bare', db.url, settings.poolMax);
    cleanups.push(() => bare.stop());
    const apollo = await startReferenceProcess('apollo', db.url, settings.poolMax);
    cleanups.push(() => apollo.stop());

    const monitor = new pg.Client({ connectionString: db.url });
    await monitor.connect();
    cleanups.push(() => monitor.end());
    const pgVersion = String((await monitor.query<{ server_version: string }>('show server_version')).rows[0]?.server_version);
    const idleRss = Object.fromEntries(([['bare', bare], ['apollo', apollo], ['vestline', vestline]] as const).map(([k, p]) => [k, rssBytes(p.pid) / 2 ** 20]));
    const quiet = async (what: string) => {
      const q = await waitForQuietDatabase(monitor);
      if (q.waitedMs < 0) log(`${what}: the database was still busy 60 s after the run; going on`);
      else if (q.waitedMs > 1000) log(`${what}: ${(q.waitedMs / 1000).toFixed(1)} s until the database was quiet; ${q.cancelled} leftover statement(s) cancelled`);
    };

    // Correctness first, for every row, before any load.
    const plan: { row: RowSpec; targets: Target[]; check: Awaited<ReturnType<typeof checkRow>> }[] = [];
    for (const row of rows) {
      const targets = targetsFor(row, seeded, { bare, apollo, vestline });
      const check = await checkRow(row, targets);
      const idle = Object.entries(check.idleMs).map(([k, ms]) => `${k} ${ms.toFixed(1)} ms`).join(', ');
      log(`check ${row.id}: 3 answers deep-equal${check.byteIdentical ? ' and byte-identical' : ` (${check.textNote})`}, ${check.bytes.vestline} bytes; one at a time: ${idle}`);
      plan.push({ row, targets: targets.filter((t) => servers.includes(t.server)), check });
    }

    const opts: LoadOptions = { connections: settings.connections, timeoutS: settings.requestTimeoutS };
    const results: RowResult[] = [];
    for (const { row, targets, check } of plan) {
      const byServer = new Map<ServerKind, ServerRowResult>(servers.map((s) => [s, { server: s, runs: [] }]));
      const warm = new Set<ServerKind>();
      for (let run = 0; run < settings.runs; run++) {
        // The order rotates from run to run, so no server always runs first (or right after another).
        for (let i = 0; i < targets.length; i++) {
          const t = targets[(i + run) % targets.length]!;
          if (!warm.has(t.server)) {
            log(`${row.id} / ${t.server}: warm-up ${settings.warmupS} s`);
            await warmUp(t, opts, settings.warmupS);
            await quiet(`${row.id} / ${t.server} warm-up`);
            warm.add(t.server);
          }
          const r = await measure(t, opts, settings.durationS);
          await quiet(`${row.id} / ${t.server} run ${run + 1}`);
          byServer.get(t.server)!.runs.push(r);
          log(
            `${row.id} / ${t.server}: run ${run + 1}: ${r.reqPerSec.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.cpuMsPerReq.toFixed(3)} ms CPU/req` +
              (runFailed(r) ? `, FAILED: ${r.errors} errors (${r.timeouts} timeouts), ${r.non2xx} non-2xx, ${r.mismatches} wrong bodies` : ''),
          );
        }
      }
      results.push({ row, check, servers: servers.map((s) => byServer.get(s)!) });
    }

    const cpu = cpus();
    const command = [
      ...['BENCH_ROWS', 'BENCH_SERVERS', 'BENCH_RUNS', 'BENCH_DURATION_S', 'BENCH_WARMUP_S'].flatMap((k) => (process.env[k] ? [`${k}=${process.env[k]}`] : [])),
      process.env.DATABASE_URL ? 'DATABASE_URL=<server>' : '',
      'npm run bench:platform',
    ]
      .filter(Boolean)
      .join(' ');
    const header: ReportHeader = {
      date: new Date().toISOString(),
      command: `${command}  (node --import @swc-node/register/esm-register bench/run.ts)`,
      machine: `${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${process.platform}/${process.arch}`,
      cpuModel: cpu[0]?.model.trim() ?? 'unknown',
      node: process.version,
      postgres: pgVersion,
      database: db.description,
      load: `autocannon in the parent process, ${settings.connections} connections to 127.0.0.1, POST of the same body; per row and server ${settings.warmupS} s warm-up, then ${settings.runs} run(s) of ${settings.durationS} s in rotating server order; numbers are the median of the runs (req/s = completed requests ÷ seconds), max RSS the largest VmRSS sampled every 200 ms, CPU = utime+stime of the server process over the run ÷ requests; a run fails on any error, timeout (${settings.requestTimeoutS} s), non-2xx or body other than the checked one`,
      servers: [
        `${SERVER_LABELS.bare}: bench/baseline-server.ts, own process, pg Pool max ${settings.poolMax}, one SQL statement per request, user/site id in the path`,
        `${SERVER_LABELS.apollo}: bench/apollo-server.ts, own process, startStandaloneServer with default plugins, SDL schema, pg Pool max ${settings.poolMax}, one SQL statement per resolver, user/site id in x-user-id/x-site-id headers`,
        `${SERVER_LABELS.vestline}: node --import @swc-node/register/esm-register src/main.ts --role=api, NODE_ENV=production, LOG_LEVEL=info (one JSON line per request, to a file), DB_POOL_MAX=${settings.poolMax}, Bearer session token`,
        `all three run under the same swc-node loader, which alone holds about 110 MiB of RSS; RSS right after start, before any load: ${Object.entries(idleRss).map(([k, v]) => `${k} ${v.toFixed(0)} MiB`).join(', ')}`,
      ],
      data: [
        `${settings.sites} sites; callers and ${2 * API_WALLETS} real wallets per list site created through Vestline's API, the rest bulk-inserted with generate_series (setup ${setupS.toFixed(0)} s)`,
        ...fixtures.map((f) => {
          const b = seeded.bulk.find((x) => x.fixture === f.key);
          return `${f.key}: ${f.count.toLocaleString('en-US')} ${f.kind === 'wallets' ? 'wallets' : 'audit entries'} in bench site ${f.siteNo}${b ? ` (${b.inserted.toLocaleString('en-US')} bulk, ${(b.ms / 1000).toFixed(1)} s)` : ''}`;
        }),
      ],
    };
    console.log(markdown(header, results));
    const file = await writeJson(header, results, { settings, idleRssMiB: idleRss, fixtures: FIXTURES, setupSeconds: setupS, totalSeconds: (Date.now() - started) / 1000 });
    log(`results written to ${file}; total ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const failed = results.filter((r) => r.servers.some((s) => s.runs.some(runFailed)));
    if (failed.length) log(`FAILED rows: ${failed.map((r) => r.row.id).join(', ')}`);
    succeeded = failed.length === 0;
    return failed.length ? 1 : 0;
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
