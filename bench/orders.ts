/**
 * `npm run bench:orders`: payment orders under load, each row side by side with its references in the
 * same run, every server in its own process on one fresh database with the same rows (the platform
 * bench's machinery: bench/platform/*, bench/baseline-server.ts, bench/apollo-server.ts).
 *
 *   create-order   createOrder over HTTP GraphQL as a signed-in CUSTOMER (Bearer token), 50 clients,
 *                  against the bare node:http + pg server running the same transaction. Every answer is
 *                  checked (a GraphQL error comes with 200), and the rows each run wrote are counted.
 *   orders-100k    orders(first: 50) as the SITE_ADMIN of a site with 100,000 orders, against plain
 *                  Apollo and the bare server; every answer must be the checked one, byte for byte.
 *
 *   BENCH_ROWS=create-order       only these rows
 *   BENCH_SERVERS=vestline,bare   load only these servers (all still answer the correctness checks)
 *   BENCH_RUNS=5 BENCH_DURATION_S=5 BENCH_WARMUP_S=2   the defaults (about 4 minutes in all on 2 cores)
 *   BENCH_ORDER_WALLETS=200000    the createOrder wallet pool (default: enough for the runs at 10,000 orders/s)
 *   BENCH_VESTLINE_VARIANT=<dir>  also load a second Vestline started from <dir>/src/main.ts (a copy of
 *                                 the tree with a candidate change): side by side, same rows and references
 *   BENCH_PROFILE=1               also count Vestline's SQL statements per request (a second Vestline
 *                                 process behind a counting proxy, before the bulk rows; not loaded), and
 *                                 take a CPU profile of Vestline in one more run per row (not in the table;
 *                                 Vestline then runs with an inspector on a random port of 127.0.0.1)
 *   DATABASE_URL=postgres://…     a new database vl_bench_<random> on that server, dropped at the end
 *                                 (unset: an embedded PostgreSQL in a temp dir)
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import pg from 'pg';
import { freshDatabase } from './fresh-database.js';
import { checkRow, type CheckResult } from './platform/check.js';
import { measure, runFailed, warmUp, type RunResult, type Target } from './platform/load.js';
import { REPO_ROOT, rssBytes, startReferenceProcess, startVestlineProcess, type ServerProcess, type VestlineProcess, BENCH_ADMIN, vestlineEnv } from './platform/processes.js';
import { waitForQuietDatabase } from './platform/quiesce.js';
import { summarize as summarizeRuns, type ServerRowResult } from './platform/report.js';
import type { RowSpec } from './platform/rows.js';
import { SERVER_KINDS, SERVER_LABELS, settings, type ServerKind } from './platform/settings.js';
import { measureWrites, warmUpWrites, type WriteRunResult, type WriteTarget } from './orders/load.js';
import { activityLine, sampleActivityDuring } from './orders/activity.js';
import { inspectorUrl, profileDuring, summarizeProfile } from './orders/cpu-profile.js';
import { countStatements, type StatementCounts } from './orders/profile.js';
import { CREATE_ORDER_MUTATION, EVENT_CHANNEL, ORDERS_QUERY } from './orders/reference-orders.js';
import { startVariantProcess, variantRoot } from './orders/variant.js';
import { API_ORDERS, ETH_PAYOUT, ORDER_AMOUNT, ORDER_TOKENS, seedOrdersBulk, seedOrdersThroughApi, type BulkResult, type OrdersSeed } from './orders/seed.js';

const SETUP_BUDGET_MS = 240_000;
const LIST_ORDERS = 100_000;
const LIST_WALLETS = 1_000;
/** createOrder rate the wallet pool is sized for, per server: far above what either side does here. */
const POOL_RATE_PER_S = 2_500;
const IDLE_REQUESTS = 5;
const ROW_IDS = ['create-order', 'orders-100k'] as const;
type RowId = (typeof ROW_IDS)[number];

/**
 * The platform bench's settings (bench/platform/settings.ts), but 5 runs of 5 s unless BENCH_RUNS /
 * BENCH_DURATION_S say otherwise: write rows vary more from run to run, and two rows leave the time.
 */
const cfg = {
  ...settings,
  runs: process.env.BENCH_RUNS ? settings.runs : 5,
  durationS: process.env.BENCH_DURATION_S ? settings.durationS : 5,
};

/** The servers of this bench: the platform bench's three, and a Vestline variant when BENCH_VESTLINE_VARIANT names one. */
type Kind = ServerKind | 'variant';
const VARIANT = variantRoot();
const KINDS: Kind[] = [...SERVER_KINDS, ...(VARIANT ? (['variant'] as const) : [])];
const LABELS: Record<Kind, string> = { ...SERVER_LABELS, variant: `Vestline variant (${VARIANT ?? 'none'})` };
/** The platform's load and check helpers type a server as one of its three; a variant passes through them as it is. */
const asKind = (k: Kind) => k as ServerKind;

interface KindRuns {
  server: Kind;
  runs: RunResult[];
}
const summarize = (s: KindRuns) => summarizeRuns(s as ServerRowResult);

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

function poolWallets(): number {
  const given = process.env.BENCH_ORDER_WALLETS;
  if (given) {
    const n = Number(given);
    if (!Number.isInteger(n) || n < 1000) throw new Error(`BENCH_ORDER_WALLETS must be an integer >= 1000 (got "${given}")`);
    return n;
  }
  // Warm-up and every run of both servers, at POOL_RATE_PER_S, plus a tenth; never below 200k.
  const seconds = cfg.warmupS + cfg.runs * cfg.durationS + 2;
  return Math.max(200_000, Math.ceil((seconds * 2 * POOL_RATE_PER_S * 1.1) / 10_000) * 10_000);
}

// ---------------------------------------------------------------------------------------------------
// createOrder: correctness before load, rows after each run

interface CreatedOrder {
  id: string;
  reference: string;
  status: string;
  network: string;
  payToAddress: string;
  amountExpected: string;
  tokenAmount: string;
  expiresAt: string;
  createdAt: string;
  asset: { symbol: string; decimals: number };
}

const CREATED_KEYS = ['id', 'reference', 'status', 'network', 'payToAddress', 'amountExpected', 'tokenAmount', 'expiresAt', 'createdAt', 'asset'];
const ANSWER_PREFIX = '{"data":{"createOrder":{"id":"';

/** Cheap enough for every answer under load: a created order, not an error (GraphQL errors come with 200). */
const isCreatedOrder = (body: string) => body.startsWith(ANSWER_PREFIX) && body.includes('"status":"PENDING"') && !body.includes('"errors"');

async function createOnce(t: WriteTarget): Promise<{ order: CreatedOrder; text: string; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', ...t.headers }, body: t.body });
  const text = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200 || !t.verifyBody(text)) throw new Error(`create-order: ${t.server} answered ${res.status}: ${text.slice(0, 500)}`);
  return { order: (JSON.parse(text) as { data: { createOrder: CreatedOrder } }).data.createOrder, text, ms };
}

interface CreateCheck {
  idleMs: Partial<Record<Kind, number>>;
  bytes: Partial<Record<Kind, number>>;
  notes: string[];
}

/**
 * One order from each server, then what it wrote: the order row (every column but its own ids and
 * times the same on both sides), its audit entry, the wallet it holds, and its NOTIFY. Then a few
 * requests one at a time, for the "alone" latency.
 */
async function checkCreateOrder(targets: WriteTarget[], monitor: pg.Client, seed: OrdersSeed): Promise<CreateCheck> {
  const notified = new Set<string>();
  const onNotify = (n: pg.Notification) => {
    if (n.channel !== EVENT_CHANNEL || !n.payload) return;
    const e = JSON.parse(n.payload) as { topic?: string; id?: string; payload?: { orderId?: string } };
    if (e.topic === 'ORDER_CHANGED' && e.id === seed.create.siteId && e.payload?.orderId) notified.add(e.payload.orderId);
  };
  monitor.on('notification', onNotify);
  await monitor.query(`listen ${pg.escapeIdentifier(EVENT_CHANNEL)}`);
  const countOrders = async () => Number((await monitor.query<{ n: number }>('select count(*)::int as n from payment_order where site_id = $1', [seed.create.siteId])).rows[0]!.n);
  const ordersBefore = await countOrders();
  const rows = new Map<Kind, { order: Record<string, unknown>; audit: Record<string, unknown> }>();
  const idleMs: CreateCheck['idleMs'] = {};
  const bytes: CreateCheck['bytes'] = {};
  try {
    for (const t of targets) {
      const { order: o, text } = await createOnce(t);
      bytes[t.server] = Buffer.byteLength(text);
      if (!isDeepStrictEqual(Object.keys(o), CREATED_KEYS)) throw new Error(`create-order: ${t.server} answers fields ${Object.keys(o).join(', ')}`);
      const expected = { status: 'PENDING', network: 'ETHEREUM', amountExpected: ORDER_AMOUNT, tokenAmount: ORDER_TOKENS, asset: { symbol: 'USDT', decimals: 6 } };
      for (const [k, v] of Object.entries(expected)) {
        if (!isDeepStrictEqual(o[k as keyof CreatedOrder], v)) throw new Error(`create-order: ${t.server} answers ${k} ${JSON.stringify(o[k as keyof CreatedOrder])}, expected ${JSON.stringify(v)}`);
      }
      if (Date.parse(o.expiresAt) - Date.parse(o.createdAt) !== 30 * 60_000) throw new Error(`create-order: ${t.server}: expiresAt is not createdAt + 30 minutes`);
      const [order] = (
        await monitor.query<Record<string, unknown>>(
          `select o.site_id, o.reference, o.customer_id, o.status, o.network, o.asset_id, o.wallet_id, o.pay_to_address, o.amount_expected, o.amount_received,
             o.amount_confirmed, o.confirmations, o.confirmations_required, o.token_price, o.token_amount, o.distribution_asset_id, o.payout_address,
             o.plan_id, o.expires_at - o.created_at as ttl, o.paid_at, o.idempotency_key, o.idempotency_hash, o.created_at = o.updated_at as fresh,
             w.status as wallet_status, w.current_order_id = o.id as wallet_held, w.address = o.pay_to_address as wallet_address
           from payment_order o join wallet w on w.id = o.wallet_id where o.id = $1`,
          [o.id],
        )
      ).rows;
      if (!order) throw new Error(`create-order: ${t.server} answered order ${o.id}, which is not in payment_order`);
      if (order.reference !== o.reference || order.pay_to_address !== o.payToAddress) throw new Error(`create-order: ${t.server}: the row's reference or address differs from the answer`);
      if (order.wallet_status !== 'ALLOCATED' || order.wallet_held !== true || order.wallet_address !== true) throw new Error(`create-order: ${t.server}: the wallet is not held by the order`);
      const audits = (await monitor.query<Record<string, unknown>>('select site_id, actor_id, action, target_type, details, ip from audit_entry where target_id = $1', [o.id])).rows;
      if (audits.length !== 1) throw new Error(`create-order: ${t.server}: ${audits.length} audit entries for order ${o.id}, expected 1`);
      const audit = audits[0]!;
      const details = audit.details as Record<string, unknown>;
      if (details.reference !== o.reference || details.walletId !== order.wallet_id) throw new Error(`create-order: ${t.server}: audit details ${JSON.stringify(details)} do not name the order`);
      // What must match across servers: everything but the order's own reference, wallet and times.
      const { reference: _r, wallet_id: _w, pay_to_address: _a, ...same } = order;
      rows.set(t.server, { order: same, audit: { ...audit, details: { ...details, reference: '…', walletId: '…' } } });
      const times: number[] = [];
      for (let i = 0; i < IDLE_REQUESTS; i++) times.push((await createOnce(t)).ms);
      idleMs[t.server] = median(times);
    }
    // NOTIFY is delivered at commit; give the last one a moment.
    await new Promise((r) => setTimeout(r, 200));
  } finally {
    await monitor.query(`unlisten ${pg.escapeIdentifier(EVENT_CHANNEL)}`);
    monitor.off('notification', onNotify);
  }
  const [first, ...others] = [...rows];
  for (const [server, r] of others) {
    if (!isDeepStrictEqual(r.order, first![1].order)) throw new Error(`create-order: ${server}'s order row differs from ${first![0]}'s: ${JSON.stringify(r.order)} vs ${JSON.stringify(first![1].order)}`);
    if (!isDeepStrictEqual(r.audit, first![1].audit)) throw new Error(`create-order: ${server}'s audit entry differs from ${first![0]}'s: ${JSON.stringify(r.audit)} vs ${JSON.stringify(first![1].audit)}`);
  }
  const created = (await countOrders()) - ordersBefore;
  if (notified.size !== created) throw new Error(`create-order: ${created} orders in the create site but ${notified.size} ORDER_CHANGED notifications`);
  return {
    idleMs,
    bytes,
    notes: [`each server's first order: the same order row (but its own id, reference, wallet and times), audit entry and NOTIFY; ${created} orders made by the check`],
  };
}

interface PoolCounts {
  orders: number;
  audits: number;
  allocated: number;
  available: number;
}

async function poolCounts(monitor: pg.Client, siteId: string): Promise<PoolCounts> {
  const { rows } = await monitor.query<PoolCounts>(
    `select (select count(*)::int from payment_order where site_id = $1) as orders,
       (select count(*)::int from audit_entry where site_id = $1 and action = 'order.created') as audits,
       (select count(*)::int from wallet where site_id = $1 and status = 'ALLOCATED') as allocated,
       (select count(*)::int from wallet where site_id = $1 and status = 'AVAILABLE') as available`,
    [siteId],
  );
  return rows[0]!;
}

interface WriteRun extends WriteRunResult {
  /** Orders the run wrote (audit entries and allocated wallets must match). */
  written: number;
  /** Why the rows do not add up, if they do not. */
  rowsProblem: string | null;
  availableAfter: number;
}

/** Rows written by one run: as many orders, audit entries and allocations; at least the good answers, at most the requests sent. */
function checkWrites(r: WriteRunResult, before: PoolCounts, after: PoolCounts): WriteRun {
  const written = after.orders - before.orders;
  const good = r.requests - r.non2xx - r.mismatches;
  const problems: string[] = [];
  if (after.audits - before.audits !== written) problems.push(`${after.audits - before.audits} audit entries for ${written} orders`);
  if (after.allocated - before.allocated !== written) problems.push(`${after.allocated - before.allocated} wallets allocated for ${written} orders`);
  if (written < good) problems.push(`${written} orders written but ${good} created-order answers`);
  if (written > r.sent) problems.push(`${written} orders written but only ${r.sent} requests sent`);
  if (after.available === 0) problems.push('the wallet pool ran out');
  return { ...r, written, rowsProblem: problems.length ? problems.join('; ') : null, availableAfter: after.available };
}

const writeFailed = (r: WriteRun) => runFailed(r) || r.rowsProblem !== null;

// ---------------------------------------------------------------------------------------------------
// report

interface RowReport {
  id: RowId;
  title: string;
  servers: KindRuns[];
  idleMs: Partial<Record<Kind, number>>;
  bytes: Partial<Record<Kind, number>>;
  notes: string[];
}

function table(rows: RowReport[]): string[] {
  const lines = [
    '| row | server | req/s | p50 ms | p99 ms | ÷ bare | ÷ Apollo | CPU ms/req | max RSS MiB | errors / non-2xx / wrong body | orders written ÷ answers | 1 req alone, ms |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const sums = new Map(row.servers.map((s) => [s.server, summarize(s)]));
    for (const s of row.servers) {
      const m = sums.get(s.server)!;
      const writes = s.runs as WriteRun[];
      const isWrite = row.id === 'create-order';
      const failed = isWrite ? writes.some(writeFailed) : m.failed;
      const none = s.runs.every((x) => x.requests === 0);
      const status = `${m.errors} / ${m.non2xx} / ${m.mismatches}${none ? ' **FAILED: no request completed**' : failed ? ' **FAILED**' : ''}`;
      const ratio = (other: Kind) => {
        if (s.server === other) return '1.00×';
        const o = sums.get(other);
        return o && o.reqPerSec > 0 ? `${fmt(m.reqPerSec / o.reqPerSec, 2)}×` : '';
      };
      const answers = writes.reduce((a, r) => a + r.requests, 0);
      const written = isWrite ? `${fmt(writes.reduce((a, r) => a + r.written, 0))} ÷ ${fmt(answers)}` : '';
      lines.push(
        `| ${row.title} | ${LABELS[s.server]} | ${fmt(m.reqPerSec)} | ${none ? 'n/a' : fmt(m.p50)} | ${none ? 'n/a' : fmt(m.p99)} | ${ratio('bare')} | ${isWrite ? '' : ratio('apollo')} | ${fmt(m.cpuMsPerReq, 3)} | ${fmt(m.maxRssMiB)} | ${status} | ${written} | ${fmt(row.idleMs[s.server] ?? NaN, 1)} |`,
      );
    }
  }
  return lines;
}

function verdicts(rows: RowReport[]): string[] {
  const out: string[] = [];
  for (const row of rows) {
    const sums = new Map(row.servers.map((s) => [s.server, summarize(s)]));
    const [refKind, target] = row.id === 'create-order' ? (['bare', 0.5] as const) : (['apollo', 0.8] as const);
    const ref = sums.get(refKind);
    for (const kind of ['vestline', 'variant'] as const) {
      const v = sums.get(kind);
      if (!v || !ref || !(ref.reqPerSec > 0)) continue;
      const r = v.reqPerSec / ref.reqPerSec;
      out.push(`- ${row.title}: ${LABELS[kind]} ÷ ${LABELS[refKind]} = ${fmt(r, 2)}× (target ≥ ${target}×: ${r >= target ? 'met' : 'NOT met'})`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const rowIds = chosenRows();
  const servers = chosenServers();
  const wallets = poolWallets();
  const profiling = process.env.BENCH_PROFILE === '1';
  const profiles: { row: RowId; lines: string[]; file: string }[] = [];
  const activity: string[] = [];
  // Row x server pairs; each: warm-up, the runs, settling after each (and one more run when profiling).
  const extra = VARIANT ? 1 : 0;
  const pairs = (rowIds.includes('create-order') ? 2 + extra : 0) + (rowIds.includes('orders-100k') ? 3 + extra : 0);
  const perPairS = cfg.warmupS + 5 + (cfg.runs + (profiling ? 1 : 0)) * (cfg.durationS + 6);
  const deadlineMs = SETUP_BUDGET_MS + Math.ceil(pairs * perPairS * 1000 * 1.3);

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
    log(`rows ${rowIds.join(', ')}; servers ${servers.join(', ')}; ${cfg.runs} run(s) of ${cfg.durationS} s after ${cfg.warmupS} s warm-up; hard stop after ${Math.round(deadlineMs / 1000)} s`);
    log('creating a fresh database');
    const db = await freshDatabase();
    cleanups.push(() => db.drop());
    const logDir = await mkdtemp(join(tmpdir(), 'vestline-bench-orders-'));
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
    if (VARIANT) {
      // Before any bulk row: its start-up check opens wallets too (see orders/seed.ts).
      log(`starting the Vestline variant from ${VARIANT}`);
      const { NODE_OPTIONS: _inspect, ...variantEnv } = env;
      const v = await startVariantProcess(VARIANT, variantEnv, join(logDir, 'variant.log'));
      variant = v;
      cleanups.push(() => v.stop());
    }

    log(`opening two sites for sale through the API (price, assets, plan, admin, customer); ${API_ORDERS} real orders in the list site`);
    const seed = await seedOrdersThroughApi(vestline.graphqlUrl, BENCH_ADMIN);
    const createVariables = { i: { network: 'ETHEREUM', amount: ORDER_AMOUNT, payoutAddress: ETH_PAYOUT, planId: seed.create.planId } };
    const createBody = JSON.stringify({ query: CREATE_ORDER_MUTATION, variables: createVariables });

    let statements: StatementCounts | null = null;
    if (profiling) {
      log('profile: a second Vestline behind a counting proxy, requests one at a time');
      statements = await countStatements({
        env,
        logFile: join(logDir, 'vestline-profile.log'),
        databaseUrl: db.url,
        requests: [
          { name: 'createOrder', headers: { authorization: `Bearer ${seed.create.customerToken}` }, body: createBody },
          { name: 'orders(first: 50)', headers: { authorization: `Bearer ${seed.list.adminToken}` }, body: JSON.stringify({ query: ORDERS_QUERY }) },
        ],
        log,
      });
    }

    const bulk: BulkResult = await seedOrdersBulk(db.url, seed, { poolWallets: rowIds.includes('create-order') ? wallets : 0, listOrders: LIST_ORDERS, listWallets: LIST_WALLETS }, log);
    const setupS = (Date.now() - started) / 1000;

    log('starting the bare and plain Apollo servers');
    const bare = await startReferenceProcess('bare', db.url, cfg.poolMax);
    cleanups.push(() => bare.stop());
    const apollo = await startReferenceProcess('apollo', db.url, cfg.poolMax);
    cleanups.push(() => apollo.stop());
    const procs: Partial<Record<Kind, ServerProcess>> = { bare, apollo, vestline, ...(variant ? { variant } : {}) };

    const monitor = new pg.Client({ connectionString: db.url });
    await monitor.connect();
    cleanups.push(() => monitor.end());
    const pgVersion = String((await monitor.query<{ server_version: string }>('show server_version')).rows[0]?.server_version);
    const idleRss = Object.fromEntries(KINDS.map((k) => [k, rssBytes(procs[k]!.pid) / 2 ** 20]));
    const quiet = async (what: string) => {
      const q = await waitForQuietDatabase(monitor);
      if (q.waitedMs < 0) log(`${what}: the database was still busy 60 s after the run; going on`);
      else if (q.waitedMs > 1000) log(`${what}: ${(q.waitedMs / 1000).toFixed(1)} s until the database was quiet; ${q.cancelled} leftover statement(s) cancelled`);
    };

    // Correctness first, for every row, before any load.
    const createTargets: WriteTarget[] = [
      { server: 'vestline', process: vestline, url: vestline.graphqlUrl, headers: { authorization: `Bearer ${seed.create.customerToken}` }, body: createBody, verifyBody: isCreatedOrder },
      ...(variant ? [{ server: asKind('variant'), process: variant, url: variant.graphqlUrl, headers: { authorization: `Bearer ${seed.create.customerToken}` }, body: createBody, verifyBody: isCreatedOrder }] : []),
      { server: 'bare', process: bare, url: `${bare.url}/create-order/${seed.create.siteId}/${seed.create.customerId}`, headers: {}, body: createBody, verifyBody: isCreatedOrder },
    ];
    const listBody = JSON.stringify({ query: ORDERS_QUERY });
    const listTargets: Target[] = [
      { server: 'vestline', process: vestline, url: vestline.graphqlUrl, headers: { authorization: `Bearer ${seed.list.adminToken}` }, body: listBody },
      ...(variant ? [{ server: asKind('variant'), process: variant, url: variant.graphqlUrl, headers: { authorization: `Bearer ${seed.list.adminToken}` }, body: listBody }] : []),
      { server: 'bare', process: bare, url: `${bare.url}/orders/${seed.list.siteId}`, headers: {}, body: listBody },
      { server: 'apollo', process: apollo, url: `${apollo.url}/`, headers: { 'x-user-id': seed.list.adminId, 'x-site-id': seed.list.siteId }, body: listBody },
    ];
    let createCheck: CreateCheck | null = null;
    let listCheck: CheckResult | null = null;
    if (rowIds.includes('create-order')) {
      createCheck = await checkCreateOrder(createTargets, monitor, seed);
      log(`check create-order: ${createCheck.notes.join('; ')}; one at a time: ${Object.entries(createCheck.idleMs).map(([k, ms]) => `${k} ${ms.toFixed(1)} ms`).join(', ')}`);
    }
    if (rowIds.includes('orders-100k')) {
      // The platform bench's check (bench/platform/check.ts): 200 and data, the three answers deep-equal,
      // 50 edges and a next page; the exact text becomes each server's expected body under load.
      const spec = { id: 'orders-100k', title: 'orders(first: 50), 100k in site', query: ORDERS_QUERY, caller: 'super', expect: { list: 'orders', length: 50, hasNextPage: true } } as unknown as RowSpec;
      listCheck = await checkRow(spec, listTargets);
      const page = JSON.parse(listTargets[0]!.expectBody!) as { data: { orders: { edges: { node: { reference: string } }[] } } };
      const real = page.data.orders.edges.filter((e) => !/^VL-B\d{11}$/.test(e.node.reference)).length;
      if (real !== API_ORDERS) throw new Error(`orders-100k: the first page holds ${real} orders made through the API, expected ${API_ORDERS}`);
      log(
        `check orders-100k: ${listTargets.length} answers deep-equal${listCheck.byteIdentical ? ' and byte-identical' : ` (${listCheck.textNote})`}, ${listCheck.bytes.vestline} bytes, ${real} API orders on top; one at a time: ${Object.entries(listCheck.idleMs).map(([k, ms]) => `${k} ${ms.toFixed(1)} ms`).join(', ')}`,
      );
    }

    const reports: RowReport[] = [];
    if (createCheck) {
      const targets = createTargets.filter((t) => servers.includes(t.server));
      const byServer = new Map<Kind, KindRuns>(targets.map((t) => [t.server, { server: t.server, runs: [] }]));
      const warm = new Set<Kind>();
      /**
       * After a write run: no statement running and no transaction open (a server between two statements
       * of its transaction shows as "idle in transaction", not active), and the order count still for
       * 300 ms, so the requests a server had queued when autocannon stopped are written before the next
       * count. Then vacuum: allocated wallets leave dead entries at the head of the partial index every
       * allocation scans, and no server should pay for the one before it.
       */
      const settle = async (what: string) => {
        await quiet(what);
        let last = -1;
        for (let i = 0; i < 200; i++) {
          const { rows } = await monitor.query<{ n: number; busy: number }>(
            `select (select count(*)::int from payment_order where site_id = $1) as n,
               (select count(*)::int from pg_stat_activity where datname = current_database() and backend_type = 'client backend'
                  and pid <> pg_backend_pid() and state <> 'idle') as busy`,
            [seed.create.siteId],
          );
          if (rows[0]!.n === last && rows[0]!.busy === 0) break;
          last = rows[0]!.n;
          await new Promise((r) => setTimeout(r, 300));
        }
        await monitor.query('vacuum wallet');
      };
      for (let run = 0; run < cfg.runs; run++) {
        for (let i = 0; i < targets.length; i++) {
          const t = targets[(i + run) % targets.length]!;
          if (!warm.has(t.server)) {
            log(`create-order / ${t.server}: warm-up ${cfg.warmupS} s`);
            await warmUpWrites(t, cfg.connections, cfg.requestTimeoutS, cfg.warmupS);
            await settle(`create-order / ${t.server} warm-up`);
            warm.add(t.server);
          }
          const before = await poolCounts(monitor, seed.create.siteId);
          if (before.available < (cfg.durationS + 2) * POOL_RATE_PER_S) log(`create-order: only ${before.available} AVAILABLE wallets left before this run (BENCH_ORDER_WALLETS)`);
          const raw = await measureWrites(t, cfg.connections, cfg.requestTimeoutS, cfg.durationS);
          await settle(`create-order / ${t.server} run ${run + 1}`);
          const r = checkWrites(raw, before, await poolCounts(monitor, seed.create.siteId));
          byServer.get(t.server)!.runs.push(r);
          log(
            `create-order / ${t.server}: run ${run + 1}: ${r.reqPerSec.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.cpuMsPerReq.toFixed(3)} ms CPU/req, ${r.written} orders written for ${r.requests} answers (${r.sent} sent), ${r.availableAfter} wallets left` +
              (writeFailed(r) ? `, FAILED: ${r.errors} errors (${r.timeouts} timeouts), ${r.non2xx} non-2xx, ${r.mismatches} error bodies${r.rowsProblem ? `; rows: ${r.rowsProblem}` : ''}` : ''),
          );
        }
      }
      if (profiling) {
        const t = targets.find((x) => x.server === 'vestline');
        if (t) {
          log(`create-order / vestline: CPU profile over one more ${cfg.durationS} s run`);
          const before = await poolCounts(monitor, seed.create.siteId);
          let raw: WriteRunResult | null = null;
          const profile = await profileDuring(inspectorUrl(vestline.logFile), async () => {
            raw = await measureWrites(t, cfg.connections, cfg.requestTimeoutS, cfg.durationS);
          });
          await settle('create-order / vestline profile');
          const r = checkWrites(raw!, before, await poolCounts(monitor, seed.create.siteId));
          profiles.push({ row: 'create-order', lines: [`Profiled run: ${r.reqPerSec.toFixed(0)} req/s, ${r.cpuMsPerReq.toFixed(3)} ms CPU/req${writeFailed(r) ? ' (FAILED run)' : ''}`, ...summarizeProfile(profile)], file: JSON.stringify(profile) });
        }
        for (const t of targets) {
          log(`create-order / ${t.server}: pg_stat_activity sampled over one more ${cfg.durationS} s run`);
          const { result: r, activity: a } = await sampleActivityDuring(monitor, () => measureWrites(t, cfg.connections, cfg.requestTimeoutS, cfg.durationS));
          await settle(`create-order / ${t.server} activity run`);
          activity.push(activityLine(`${LABELS[t.server]} (${r.reqPerSec.toFixed(0)} req/s in this run)`, a));
        }
      }
      reports.push({
        id: 'create-order',
        title: 'createOrder, 50 clients',
        servers: targets.map((t) => byServer.get(t.server)!),
        idleMs: createCheck.idleMs,
        bytes: createCheck.bytes,
        notes: createCheck.notes,
      });
    }
    if (listCheck) {
      const targets = listTargets.filter((t) => servers.includes(t.server));
      const byServer = new Map<Kind, KindRuns>(targets.map((t) => [t.server, { server: t.server, runs: [] }]));
      const warm = new Set<Kind>();
      const opts = { connections: cfg.connections, timeoutS: cfg.requestTimeoutS };
      for (let run = 0; run < cfg.runs; run++) {
        for (let i = 0; i < targets.length; i++) {
          const t = targets[(i + run) % targets.length]!;
          if (!warm.has(t.server)) {
            log(`orders-100k / ${t.server}: warm-up ${cfg.warmupS} s`);
            await warmUp(t, opts, cfg.warmupS);
            await quiet(`orders-100k / ${t.server} warm-up`);
            warm.add(t.server);
          }
          const r: RunResult = await measure(t, opts, cfg.durationS);
          await quiet(`orders-100k / ${t.server} run ${run + 1}`);
          byServer.get(t.server)!.runs.push(r);
          log(
            `orders-100k / ${t.server}: run ${run + 1}: ${r.reqPerSec.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${r.cpuMsPerReq.toFixed(3)} ms CPU/req` +
              (runFailed(r) ? `, FAILED: ${r.errors} errors (${r.timeouts} timeouts), ${r.non2xx} non-2xx, ${r.mismatches} wrong bodies` : ''),
          );
        }
      }
      if (profiling) {
        const t = targets.find((x) => x.server === 'vestline');
        if (t) {
          log(`orders-100k / vestline: CPU profile over one more ${cfg.durationS} s run`);
          let r: RunResult | null = null;
          const profile = await profileDuring(inspectorUrl(vestline.logFile), async () => {
            r = await measure(t, opts, cfg.durationS);
          });
          await quiet('orders-100k / vestline profile');
          const rr = r! as RunResult;
          profiles.push({ row: 'orders-100k', lines: [`Profiled run: ${rr.reqPerSec.toFixed(0)} req/s, ${rr.cpuMsPerReq.toFixed(3)} ms CPU/req${runFailed(rr) ? ' (FAILED run)' : ''}`, ...summarizeProfile(profile)], file: JSON.stringify(profile) });
        }
      }
      reports.push({
        id: 'orders-100k',
        title: 'orders(first: 50), 100k in site',
        servers: targets.map((t) => byServer.get(t.server)!),
        idleMs: listCheck.idleMs,
        bytes: listCheck.bytes,
        notes: [`answers deep-equal${listCheck.byteIdentical ? ' and byte-identical' : ` (${listCheck.textNote})`} across the servers, ${fmt(listCheck.bytes.vestline ?? NaN)} bytes`],
      });
    }

    const cpu = cpus();
    const command = [
      ...['BENCH_ROWS', 'BENCH_SERVERS', 'BENCH_RUNS', 'BENCH_DURATION_S', 'BENCH_WARMUP_S', 'BENCH_ORDER_WALLETS', 'BENCH_PROFILE', 'BENCH_VESTLINE_VARIANT'].flatMap((k) => (process.env[k] ? [`${k}=${process.env[k]}`] : [])),
      process.env.DATABASE_URL ? 'DATABASE_URL=<server>' : '',
      'npm run bench:orders',
    ]
      .filter(Boolean)
      .join(' ');
    const date = new Date().toISOString();
    const header = [
      `Date: ${date}`,
      `Command: ${command}  (node --import @swc-node/register/esm-register bench/orders.ts)`,
      `Machine: ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, ${process.platform}/${process.arch}`,
      `Runtime: Node ${process.version}, PostgreSQL ${pgVersion} (${db.description})`,
      `Load: autocannon in the parent process, ${cfg.connections} connections to 127.0.0.1, POST of the same body; per row and server ${cfg.warmupS} s warm-up, then ${cfg.runs} run(s) of ${cfg.durationS} s in rotating server order; medians of the runs; CPU = utime+stime of the server process ÷ requests; pg Pool max ${cfg.poolMax} in every server`,
      `Servers: Vestline as in bench:platform (src/main.ts --role=api, NODE_ENV=production, LOG_LEVEL=info to a file, Bearer session token); bare = bench/baseline-server.ts; plain Apollo = bench/apollo-server.ts${VARIANT ? `; variant = ${VARIANT}/src/main.ts with the same configuration` : ''}; RSS after start: ${Object.entries(idleRss).map(([k, v]) => `${k} ${v.toFixed(0)} MiB`).join(', ')}`,
      `Data: two sites opened for sale through the API; create site: ${fmt(bulk.poolWallets)} AVAILABLE Ethereum wallets bulk-inserted (vacuumed between runs); list site: ${fmt(bulk.listOrders)} orders (${API_ORDERS} through createOrder, the rest bulk) over ${fmt(bulk.listWallets)} wallets; setup ${setupS.toFixed(0)} s`,
      '',
      ...table(reports),
      '',
      'Targets:',
      ...verdicts(reports),
      '',
      'Checks:',
      ...reports.flatMap((r) => r.notes.map((n) => `- ${r.id}: ${n}`)),
    ];
    if (statements) header.push('', ...statements.lines);
    if (activity.length) header.push('', `Database connections during one more createOrder run per server (pg_stat_activity every 20 ms; pool max ${cfg.poolMax}):`, '', ...activity);
    const dir = join(REPO_ROOT, 'bench', 'results');
    await mkdir(dir, { recursive: true });
    for (const p of profiles) {
      const file = join(dir, `orders-${date.replace(/[:.]/g, '-')}-${p.row}.cpuprofile`);
      await writeFile(file, p.file);
      header.push('', `CPU profile of Vestline, ${p.row} (${file.slice(REPO_ROOT.length)}):`, '', ...p.lines);
    }
    console.log(header.join('\n'));

    const file = join(dir, `orders-${date.replace(/[:.]/g, '-')}.json`);
    const json = {
      date,
      command,
      settings: cfg,
      poolWallets: wallets,
      bulk,
      setupSeconds: setupS,
      totalSeconds: (Date.now() - started) / 1000,
      statements: statements?.perRequest ?? null,
      rows: reports.map((r) => ({ ...r, servers: r.servers.map((s) => ({ server: s.server, label: LABELS[s.server], median: summarize(s), runs: s.runs })) })),
    };
    await writeFile(file, `${JSON.stringify(json, null, 2)}\n`);
    log(`results written to ${file}; total ${((Date.now() - started) / 1000).toFixed(0)} s`);
    const failed = reports.filter((r) => r.servers.some((s) => s.runs.some((x) => (r.id === 'create-order' ? writeFailed(x as WriteRun) : runFailed(x)))));
    if (failed.length) log(`FAILED rows: ${failed.map((r) => r.id).join(', ')}`);
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
