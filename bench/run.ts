/**
 * `npm run bench`: throughput and latency of the GraphQL API against a bare node:http + pg baseline.
 * Starts everything itself on a fresh database (embedded PostgreSQL in a temp dir, or a new database on
 * DATABASE_URL's server), sends traffic to 127.0.0.1 only, prints a markdown report and cleans up.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { isDeepStrictEqual } from 'node:util';
import autocannon from 'autocannon';
import pg from 'pg';
import { startApp, type RunningApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startBaselineServer, type BaselineServer } from './baseline-server.js';
import { freshDatabase } from './fresh-database.js';

const seconds = (name: string, fallback: number) => Math.min(Math.max(Number(process.env[name] ?? fallback) || fallback, 1), 30);
const WARMUP_S = seconds('BENCH_WARMUP_S', 3);
const DURATION_S = seconds('BENCH_DURATION_S', 10);
const CONNECTIONS = 50;
const SITES = 20;
/** Same size as the app's ORM pool (DB_POOL_MAX default). */
const POOL_MAX = 10;
/** Hard stop: the run must never hang a terminal or a CI job. */
const DEADLINE_MS = 180_000;
const ADMIN_EMAIL = 'bench@vestline.test';
const ADMIN_PASSWORD = 'bench-password-123';

const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

async function postJson(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: res.status, text: await res.text() };
}

interface GqlBody<T> {
  data?: T | null;
  errors?: unknown[];
}

async function gql<T>(app: RunningApp, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const r = await postJson(app.graphqlUrl, JSON.stringify({ query, variables }), token ? { authorization: `Bearer ${token}` } : {});
  const body = JSON.parse(r.text) as GqlBody<T>;
  if (r.status !== 200 || body.errors || !body.data) throw new Error(`GraphQL ${r.status}: ${r.text.slice(0, 300)}`);
  return body.data;
}

interface Target {
  name: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** Name of the baseline target this one is compared with; none for a baseline itself. */
  baseline?: string;
  /** Exact response text from the check request; any other body during the run counts as a mismatch. */
  expectBody?: string;
}

/** One request before measuring: 200, JSON, no `errors`. Returns the raw text and the parsed `data`. */
async function check(t: Target): Promise<unknown> {
  const r = await postJson(t.url, t.body, t.headers);
  const parsed = JSON.parse(r.text) as GqlBody<unknown>;
  if (r.status !== 200 || parsed.errors || !parsed.data) throw new Error(`${t.name}: bad check response ${r.status}: ${r.text.slice(0, 300)}`);
  t.expectBody = r.text;
  return parsed.data;
}

async function measure(t: Target): Promise<autocannon.Result> {
  if (new URL(t.url).hostname !== '127.0.0.1') throw new Error(`${t.name}: refusing to load ${t.url}, only 127.0.0.1`);
  const opts: autocannon.Options = {
    url: t.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...t.headers },
    body: t.body,
    connections: CONNECTIONS,
    expectBody: t.expectBody,
    // The load generator runs in its own thread so it does not share the event loop with the servers.
    workers: 1,
  };
  log(`${t.name}: warm-up ${WARMUP_S} s`);
  await autocannon({ ...opts, duration: WARMUP_S });
  log(`${t.name}: measuring ${DURATION_S} s`);
  return autocannon({ ...opts, duration: DURATION_S });
}

function report(targets: Target[], results: Map<string, autocannon.Result>, pgVersion: string, database: string): string {
  const cpu = cpus();
  const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  const lines = [
    `Date: ${new Date().toISOString()}`,
    `Machine: ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${fmt(totalmem() / 2 ** 30, 1)} GiB RAM, ${process.platform}/${process.arch}`,
    `Runtime: Node ${process.version}, PostgreSQL ${pgVersion} (${database})`,
    `Command: npm run bench  (node --import @swc-node/register/esm-register bench/run.ts)`,
    `Load: autocannon, ${CONNECTIONS} connections, ${WARMUP_S} s warm-up then ${DURATION_S} s measured per row, 127.0.0.1; ${SITES} sites in the database`,
    '',
    '| benchmark | req/s (mean) | p50 ms | p99 ms | errors / non-2xx / wrong body | relative to baseline |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const t of targets) {
    const r = results.get(t.name)!;
    const base = t.baseline ? results.get(t.baseline) : undefined;
    const relative = base ? `${fmt((100 * r.requests.average) / base.requests.average)} % of req/s` : 'baseline';
    lines.push(
      `| ${t.name} | ${fmt(r.requests.average)} | ${r.latency.p50} | ${r.latency.p99} | ${r.errors} / ${r.non2xx} / ${r.mismatches} | ${relative} |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const cleanups: (() => Promise<void>)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((e: unknown) => log(`cleanup: ${(e as Error).message}`));
  };
  /** Cleans up and exits; gives up on the clean-up itself after 15 s. */
  const abort = (code: number, why: string) => {
    log(why);
    setTimeout(() => process.exit(code), 15_000).unref();
    void cleanup().finally(() => process.exit(code));
  };
  const deadline = setTimeout(() => abort(2, `still running after ${DEADLINE_MS / 1000} s, giving up`), DEADLINE_MS);
  deadline.unref();
  process.once('SIGINT', () => abort(130, 'interrupted'));

  try {
    log('starting PostgreSQL');
    const db = await freshDatabase();
    cleanups.push(() => db.drop());

    log('starting the app');
    const config = loadConfig(
      {
        NODE_ENV: 'test',
        HOST: '127.0.0.1',
        PORT: '0',
        DATABASE_URL: db.url,
        JWT_SECRET: randomBytes(32).toString('base64url'),
        // Login is not measured; a cheap hash keeps the set-up short.
        PASSWORD_SCRYPT_N: '1024',
        BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL,
        BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
        LOG_LEVEL: 'silent',
        SHUTDOWN_TIMEOUT_MS: '5000',
      },
      // The API process as deployed; job processing belongs to the worker role.
      ['--role=api'],
    );
    const app = await startApp(config, createLogger('silent'));
    cleanups.push(() => app.stop());

    const baseline: BaselineServer = await startBaselineServer(db.url, POOL_MAX);
    cleanups.push(() => baseline.stop());
    const versionClient = new pg.Client({ connectionString: db.url });
    await versionClient.connect();
    const pgVersion = String((await versionClient.query<{ server_version: string }>('show server_version')).rows[0]?.server_version);
    await versionClient.end();

    log(`creating ${SITES} sites`);
    const { login } = await gql<{ login: { token: string } }>(app, 'mutation($e:String!,$p:String!){login(email:$e,password:$p){token}}', {
      e: ADMIN_EMAIL,
      p: ADMIN_PASSWORD,
    });
    for (let i = 1; i <= SITES; i++) {
      const slug = `bench-site-${String(i).padStart(2, '0')}`;
      await gql(app, 'mutation($s:String!,$n:String!){createSite(slug:$s,name:$n){id}}', { s: slug, n: `Bench site ${i}` }, login.token);
    }
    const { me } = await gql<{ me: { id: string } }>(app, '{ me { id } }', {}, login.token);

    const auth = { authorization: `Bearer ${login.token}` };
    const meBody = JSON.stringify({ query: 'query { me { id email role } }' });
    const sitesBody = JSON.stringify({ query: 'query { sites { id slug name createdAt } }' });
    const targets: Target[] = [
      { name: 'baseline me (node:http + pg, 1 query)', url: `${baseline.url}/me/${me.id}`, headers: {}, body: meBody },
      { name: 'GraphQL me', url: app.graphqlUrl, headers: auth, body: meBody, baseline: 'baseline me (node:http + pg, 1 query)' },
      { name: 'baseline sites (node:http + pg, 1 query)', url: `${baseline.url}/sites`, headers: {}, body: sitesBody },
      { name: 'GraphQL sites', url: app.graphqlUrl, headers: auth, body: sitesBody, baseline: 'baseline sites (node:http + pg, 1 query)' },
    ];

    // Correctness first: every target answers without errors, and each API answer equals its baseline's.
    const data = new Map<string, unknown>();
    for (const t of targets) data.set(t.name, await check(t));
    for (const t of targets) {
      if (t.baseline && !isDeepStrictEqual(data.get(t.name), data.get(t.baseline))) {
        throw new Error(`${t.name} and ${t.baseline} disagree:\n${JSON.stringify(data.get(t.name))}\n${JSON.stringify(data.get(t.baseline))}`);
      }
    }
    const sites = (data.get('GraphQL sites') as { sites: unknown[] }).sites;
    if (sites.length !== SITES) throw new Error(`expected ${SITES} sites, got ${sites.length}`);

    const results = new Map<string, autocannon.Result>();
    for (const t of targets) results.set(t.name, await measure(t));

    console.log(report(targets, results, pgVersion, db.description));
  } finally {
    log('stopping');
    await cleanup();
    clearTimeout(deadline);
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
