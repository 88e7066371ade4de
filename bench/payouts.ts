/**
 * `npm run bench:payouts`: unlocked releases paid out through the MOCK custody, end to end, with real
 * signed webhooks. One Vestline process (`--role=all`, as deployed otherwise: NODE_ENV=production,
 * LOG_LEVEL=info) on a fresh database; its MOCK custody posts each transaction's webhooks
 * (SUBMITTED, CONFIRMING, COMPLETED, MOCK_CUSTODY_STEP_MS apart) to the process's own
 * POST /webhooks/fireblocks, which verifies, stores and settles them.
 *
 * 1. End to end: BENCH_RELEASES (10,000) UNLOCKED releases (1,000 allocations x 10, inserted in bulk)
 *    paid out by releaseBatch calls of 100 ids, BENCH_BATCH_CONCURRENCY calls in flight, spread over
 *    BENCH_ADMINS (20) SITE_ADMINs (6 calls a minute each is the limit); timed from the first call until
 *    every release is RELEASED. Webhook handling time per request from the process's request log
 *    (`ms` of each POST /webhooks line). Then the money and exactly-once checks.
 * 2. The webhook alone, side by side: BENCH_ALONE_RELEASES (1,000) PROCESSING releases per server,
 *    their 3 events each signed (v2 JWS) with the MOCK custody's own key, sent by autocannon
 *    (BENCH_ALONE_CONNECTIONS connections) to Vestline's route and to a bare node:http + pg handler
 *    (bench/payouts/reference-webhook.ts) doing the core of the same work.
 *
 *   DATABASE_URL=postgres://…   a new database on that server (unset: embedded PostgreSQL)
 */
import { spawn } from 'node:child_process';
import { createPrivateKey, randomUUID, sign, type JsonWebKey } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import pg from 'pg';
import { freshDatabase } from './fresh-database.js';
import { cpuTimeMs, REPO_ROOT, startVestlineProcess } from './platform/processes.js';
import { fmt, gql, log, machine, openSite, percentile, ROLE_ALL, vestlineEnv } from './payouts/common.js';
import { moneyCheck, seedReleases } from './payouts/seed.js';

const RELEASES = Number(process.env.BENCH_RELEASES ?? 10_000);
const PER_ALLOCATION = 10;
const BATCH = 100;
const ADMINS = Number(process.env.BENCH_ADMINS ?? 20);
const CONCURRENCY = Number(process.env.BENCH_BATCH_CONCURRENCY ?? 2);
const STEP_MS = Number(process.env.BENCH_MOCK_STEP_MS ?? 100);
const ALONE = Number(process.env.BENCH_ALONE_RELEASES ?? 1000);
const ALONE_CONNECTIONS = Number(process.env.BENCH_ALONE_CONNECTIONS ?? 10);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 170) * 1000;
/** For profiling the Vestline process, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` (written when it stops). */
const NODE_OPTIONS = process.env.BENCH_VESTLINE_NODE_OPTIONS ?? '';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `ms` of every POST /webhooks request line the process logged, from byte `from` of its log. */
async function webhookLines(logFile: string, from: number): Promise<{ ms: number; status: number }[]> {
  const text = (await readFile(logFile)).subarray(from).toString('utf8');
  const out: { ms: number; status: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line.includes('"route":"/webhooks"')) continue;
    try {
      const e = JSON.parse(line) as { msg?: string; route?: string; method?: string; ms?: number; status?: number };
      if (e.msg === 'request' && e.route === '/webhooks' && e.method === 'POST' && typeof e.ms === 'number') out.push({ ms: e.ms, status: e.status ?? 0 });
    } catch {
      // a line still being written
    }
  }
  return out;
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1) ?? NaN, mean: s.reduce((a, b) => a + b, 0) / (s.length || 1) };
};

async function startReference(databaseUrl: string, jwk: JsonWebKey): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', join(REPO_ROOT, 'bench', 'payouts', 'reference-webhook.ts')], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production', DATABASE_URL: databaseUrl, BENCH_POOL_MAX: '10', BENCH_JWK: JSON.stringify(jwk) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((ok) => child.once('exit', () => ok()));
  const line = await new Promise<string>((ok, fail) => {
    createInterface({ input: child.stdout! }).once('line', ok);
    child.once('exit', (code) => fail(new Error(`reference exited (${code}) before it listened`)));
  });
  return {
    url: (JSON.parse(line) as { url: string }).url,
    pid: child.pid!,
    async stop() {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(t);
    },
  };
}

interface Signed {
  body: string;
  signature: string;
}

/** The 3 events of each release, as the MOCK custody sends them (v2 JWS only: Vestline tries v2 first), in phase order. */
function signEvents(releases: { externalTxId: string }[], privateJwk: JsonWebKey, kid: string): Signed[] {
  const key = createPrivateKey({ key: privateJwk, format: 'jwk' });
  const prot = Buffer.from(JSON.stringify({ alg: 'RS512', kid })).toString('base64url');
  const txs = releases.map((r) => ({ id: randomUUID(), externalTxId: r.externalTxId, txHash: `0x${randomUUID().replace(/-/g, '')}${randomUUID().replace(/-/g, '')}` }));
  const out: Signed[] = [];
  for (const [type, status] of [['transaction.created', 'SUBMITTED'], ['transaction.status.updated', 'CONFIRMING'], ['transaction.status.updated', 'COMPLETED']] as const) {
    for (const t of txs) {
      const body = JSON.stringify({ id: randomUUID(), eventType: type, createdAt: Date.now(), workspaceId: 'mock', data: { id: t.id, externalTxId: t.externalTxId, status, subStatus: null, txHash: status === 'COMPLETED' ? t.txHash : null } });
      const sig = sign('sha512', Buffer.from(`${prot}.${Buffer.from(body).toString('base64url')}`), key).toString('base64url');
      out.push({ body, signature: `${prot}..${sig}` });
    }
  }
  return out;
}

async function blast(url: string, events: Signed[], connections: number) {
  let i = 0;
  const started = performance.now();
  const r = await autocannon({
    url: `${url}/webhooks/fireblocks`,
    method: 'POST',
    connections,
    amount: events.length,
    timeout: 30,
    requests: [
      {
        setupRequest: (req) => {
          const e = events[i++]!;
          return { ...req, headers: { 'content-type': 'application/json', 'fireblocks-webhook-signature': e.signature }, body: e.body };
        },
      },
    ],
  });
  // autocannon's own duration is in whole seconds; the run is timed here.
  return { reqPerSec: r.requests.total / ((performance.now() - started) / 1000), p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, non2xx: r.non2xx, errors: r.errors + r.timeouts };
}

async function main(): Promise<number> {
  const logDir = await mkdtemp(join(tmpdir(), 'vl-bench-payouts-'));
  const db = await freshDatabase();
  // BENCH_KEEP_DB=1 leaves the database behind (for looking at it afterwards; drop it by hand).
  const cleanups: (() => Promise<unknown>)[] = process.env.BENCH_KEEP_DB ? [] : [() => db.drop()];
  const client = new pg.Client({ connectionString: db.url });
  const failures: string[] = [];
  const expect = (ok: boolean, what: string) => {
    if (!ok) failures.push(what);
  };
  try {
    log(`database: ${db.description}; logs in ${logDir}`);
    const logFile = join(logDir, 'vestline.log');
    const vl = await startVestlineProcess(vestlineEnv(db.url, { MOCK_CUSTODY_STEP_MS: String(STEP_MS), ...(NODE_OPTIONS ? { NODE_OPTIONS } : {}) }), logFile, ROLE_ALL);
    cleanups.unshift(() => vl.stop());
    await client.connect();
    cleanups.unshift(() => client.end());

    const setupStarted = performance.now();
    const site = await openSite(vl.graphqlUrl, 'payouts', ADMINS, 0);
    const released = await seedReleases(client, site, RELEASES / PER_ALLOCATION, PER_ALLOCATION, 'UNLOCKED');
    const [aloneV, aloneB] = [await openSite(vl.graphqlUrl, 'alone-vestline', 1, 0), await openSite(vl.graphqlUrl, 'alone-bare', 1, 0)];
    const serialSites = [await openSite(vl.graphqlUrl, 'serial-vestline', 1, 0), await openSite(vl.graphqlUrl, 'serial-bare', 1, 0)] as const;
    log(`seeded ${released.length} UNLOCKED releases in ${fmt((performance.now() - setupStarted) / 1000, 1)} s`);

    // 1. End to end.
    const chunks: string[][] = [];
    for (let i = 0; i < released.length; i += BATCH) chunks.push(released.slice(i, i + BATCH).map((r) => r.id));
    if (chunks.length > ADMINS * 6) throw new Error(`${chunks.length} batches need more than ${ADMINS} admins at 6 a minute`);
    const logFrom = (await readFile(logFile)).length;
    const cpu0 = cpuTimeMs(vl.pid);
    const callMs: number[] = [];
    let submitted = 0;
    let skipped = 0;
    const t0 = performance.now();
    let next = 0;
    const caller = async () => {
      for (let c = next++; c < chunks.length; c = next++) {
        const started = performance.now();
        const r = await gql<{ releaseBatch: { submitted: { id: string }[]; skipped: { releaseId: string; reason: string }[]; mode: string } }>(
          vl.graphqlUrl,
          'mutation($ids:[ID!]!){releaseBatch(releaseIds:$ids){submitted{id} skipped{releaseId reason} mode}}',
          { ids: chunks[c] },
          site.admins[c % ADMINS]!.token,
        );
        callMs.push(performance.now() - started);
        submitted += r.releaseBatch.submitted.length;
        skipped += r.releaseBatch.skipped.length;
        if (r.releaseBatch.mode !== 'MOCK') throw new Error(`payout mode ${r.releaseBatch.mode}`);
      }
    };
    // Every release RELEASED cannot come before the last call is answered (its releases are paid
    // STEP_MS * 3 after they were submitted): until then nothing is polled; then the PROCESSING ones
    // are counted (a small partial index), and once none is left, the RELEASED ones.
    let batchesDone = false;
    const polled = (async () => {
      for (;;) {
        if (batchesDone) {
          const { rows } = await client.query<{ n: number }>(`select count(*)::int as n from vesting_release where site_id = $1 and status = 'PROCESSING'`, [site.siteId]);
          if (rows[0]!.n === 0) {
            const { rows: all } = await client.query<{ n: number }>(`select count(*)::int as n from vesting_release where site_id = $1 and status = 'RELEASED'`, [site.siteId]);
            if (all[0]!.n >= released.length) return performance.now();
          }
        }
        if (performance.now() - t0 > TIMEOUT_MS) throw new Error(`not every one of ${released.length} releases RELEASED after ${TIMEOUT_MS / 1000} s`);
        await sleep(50);
      }
    })();
    await Promise.all(Array.from({ length: CONCURRENCY }, caller));
    batchesDone = true;
    const batchesDoneAt = performance.now();
    const allReleasedAt = await polled;
    const wallS = (allReleasedAt - t0) / 1000;
    const cpuS = (cpuTimeMs(vl.pid) - cpu0) / 1000;
    // The last webhook's request line is written when its response finishes, just after its commit.
    let lines = await webhookLines(logFile, logFrom);
    for (let waited = 0; lines.length < 3 * released.length && waited < 15_000; waited += 200) {
      await sleep(200);
      lines = await webhookLines(logFile, logFrom);
    }
    const logTo = (await readFile(logFile)).length;
    log(`end to end: ${released.length} releases RELEASED in ${fmt(wallS, 1)} s (batches answered after ${fmt((batchesDoneAt - t0) / 1000, 1)} s); ${lines.length} webhook requests logged`);

    const wh = stats(lines.map((l) => l.ms));
    const calls = stats(callMs);
    const money = await moneyCheck(client, site.siteId);
    const q1 = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => (await client.query<T>(sql, params)).rows[0]!;
    const custody = await q1<{ txs: number; distinct_ext: number; matched: number; id_matches: number }>(
      `select (select count(*)::int from mock_custody_tx m join vesting_release r on r.external_tx_id = m.external_tx_id where r.site_id = $1) as txs,
         (select count(distinct m.external_tx_id)::int from mock_custody_tx m join vesting_release r on r.external_tx_id = m.external_tx_id where r.site_id = $1) as distinct_ext,
         (select count(*)::int from mock_custody_tx) as matched,
         (select count(*)::int from vesting_release r join mock_custody_tx m on m.id = r.custody_tx_id and m.external_tx_id = r.external_tx_id where r.site_id = $1) as id_matches`,
      [site.siteId],
    );
    const events = await q1<{ n: number; keys: number; per_status: number; bad_releases: number; outcomes: Record<string, number> }>(
      `select count(*)::int as n, count(distinct event_key)::int as keys, count(distinct (release_id, status))::int as per_status,
         (select count(*)::int from (select release_id from custody_event where site_id = $1 group by release_id having count(*) <> 3) x) as bad_releases,
         (select jsonb_object_agg(outcome, c) from (select outcome, count(*)::int as c from custody_event where site_id = $1 group by outcome) y) as outcomes
       from custody_event where site_id = $1`,
      [site.siteId],
    );
    // How late each event was stored: from when the MOCK was due to send it (its transaction's creation
    // plus 0, 1 or 3 steps) to the start of the transaction that stored it; queueing in the simulator's
    // connections, on the wire and in the server included.
    const lag = await q1<{ p50: number; p99: number; max: number }>(
      `select percentile_cont(0.5) within group (order by ms) as p50, percentile_cont(0.99) within group (order by ms) as p99, max(ms)::float8 as max
       from (select extract(epoch from e.received_at - m.created_at) * 1000 - case e.status when 'SUBMITTED' then 0 when 'CONFIRMING' then $2::int else 3 * $2::int end as ms
             from custody_event e join mock_custody_tx m on m.external_tx_id = e.external_tx_id where e.site_id = $1) x`,
      [site.siteId, STEP_MS],
    );
    const outbox = await q1<{ released: number; completed: number }>(
      `select count(*) filter (where type = 'release.released')::int as released, count(*) filter (where type = 'allocation.completed')::int as completed from notification_event where site_id = $1`,
      [site.siteId],
    );
    const n = released.length;
    const allocs = n / PER_ALLOCATION;
    expect(submitted === n && skipped === 0, `releaseBatch submitted ${submitted}, skipped ${skipped} (expected ${n}, 0)`);
    expect(money.released === n, `${money.released} of ${n} RELEASED`);
    expect(money.sum_released === money.sum_alloc_released && money.sum_alloc_released === money.sum_total, `sums differ: released ${money.sum_released}, allocations' released ${money.sum_alloc_released}, total ${money.sum_total}`);
    expect(money.completed === allocs, `${money.completed} of ${allocs} allocations COMPLETED`);
    expect(custody.txs === n && custody.distinct_ext === n && custody.matched === n && custody.id_matches === n, `custody transactions ${JSON.stringify(custody)}`);
    expect(events.n === 3 * n && events.keys === 3 * n && events.per_status === 3 * n && events.bad_releases === 0, `custody events ${JSON.stringify(events)}`);
    // A webhook answered 500 is retried by the custody (MOCK: after 1 s, as a new event id): counted and reported, the exactly-once checks above decide.
    const non200 = lines.filter((l) => l.status !== 200).length;
    const deadlocks = (await readFile(logFile)).subarray(logFrom, logTo).toString('utf8').split('\n').filter((l) => l.includes('DeadlockException')).length;
    expect(lines.length - non200 === 3 * n, `${lines.length - non200} webhook requests answered 200, expected ${3 * n}`);
    expect(outbox.released === n && outbox.completed === allocs, `outbox ${JSON.stringify(outbox)}`);

    // 2. The webhook alone, Vestline and the bare handler, same events, same load.
    const ms = (x: number) => fmt(x, x < 10 ? 1 : 0);
    const key = await q1<{ kid: string; private_jwk: JsonWebKey; public_jwk: JsonWebKey }>(`select kid, private_jwk, public_jwk from mock_custody_key`);
    const ref = await startReference(db.url, key.public_jwk);
    cleanups.unshift(() => ref.stop());
    const aloneRows: string[] = [];
    for (const [connections, count, sites] of ALONE > 0 ? ([[1, Math.min(ALONE, 200), serialSites], [ALONE_CONNECTIONS, ALONE, [aloneV, aloneB]]] as const) : []) {
      const setV = await seedReleases(client, sites[0], count / PER_ALLOCATION, PER_ALLOCATION, 'PROCESSING');
      const setB = await seedReleases(client, sites[1], count / PER_ALLOCATION, PER_ALLOCATION, 'PROCESSING');
      const evV = signEvents(setV, key.private_jwk, key.kid);
      const evB = signEvents(setB, key.private_jwk, key.kid);
      log(`the webhook alone, ${connections} connection(s): ${evV.length} events to Vestline, then to the bare handler`);
      await fetch(`${ref.url}/stats?reset=1`);
      const vFrom = (await readFile(logFile)).length;
      const cpuV0 = cpuTimeMs(vl.pid);
      const loadV = await blast(vl.url, evV, connections);
      const cpuV = (cpuTimeMs(vl.pid) - cpuV0) / loadV.requests;
      await sleep(500);
      const inV = stats((await webhookLines(logFile, vFrom)).map((l) => l.ms));
      const cpuB0 = cpuTimeMs(ref.pid);
      const loadB = await blast(ref.url, evB, connections);
      const cpuB = (cpuTimeMs(ref.pid) - cpuB0) / loadB.requests;
      const inB = stats((await (await fetch(`${ref.url}/stats`)).json()) as number[]);
      const mV = await moneyCheck(client, sites[0].siteId);
      const mB = await moneyCheck(client, sites[1].siteId);
      for (const [name, m, l] of [['Vestline', mV, loadV], ['bare', mB, loadB]] as const) {
        expect(m.released === count && m.sum_released === m.sum_alloc_released && m.sum_alloc_released === m.sum_total, `${name} alone: ${JSON.stringify(m)}`);
        expect(l.non2xx === 0 && l.errors === 0 && l.requests === 3 * count, `${name} alone: ${JSON.stringify(l)}`);
      }
      const ok = (m: typeof mV) => `${m.released}, ${m.sum_released === m.sum_total && m.sum_alloc_released === m.sum_total ? 'yes' : 'NO'}`;
      aloneRows.push(
        `| ${connections} | ${fmt(3 * count)} | Vestline POST /webhooks/fireblocks | ${fmt(loadV.reqPerSec)} | ${loadV.p50} / ${loadV.p99} | ${ms(inV.p50)} / ${ms(inV.p99)} / ${ms(inV.max)} | ${(loadV.reqPerSec / loadB.reqPerSec).toFixed(2)}× | ${cpuV.toFixed(2)} | ${loadV.errors} / ${loadV.non2xx} | ${ok(mV)} |`,
        `| ${connections} | ${fmt(3 * count)} | bare node:http + pg | ${fmt(loadB.reqPerSec)} | ${loadB.p50} / ${loadB.p99} | ${ms(inB.p50)} / ${ms(inB.p99)} / ${ms(inB.max)} | 1.00× | ${cpuB.toFixed(2)} | ${loadB.errors} / ${loadB.non2xx} | ${ok(mB)} |`,
      );
    }

    const e2eMet = wallS < 60;
    const p99Met = wh.p99 < 10;
    process.stdout.write(
      [
        `Date: ${new Date().toISOString()}`,
        `Machine: ${machine()}; ${db.description}`,
        `Command: npm run bench:payouts  (BENCH_RELEASES=${RELEASES} BENCH_ADMINS=${ADMINS} BENCH_BATCH_CONCURRENCY=${CONCURRENCY} BENCH_MOCK_STEP_MS=${STEP_MS} BENCH_ALONE_RELEASES=${ALONE} BENCH_ALONE_CONNECTIONS=${ALONE_CONNECTIONS})`,
        `Vestline: one process, --role=all, NODE_ENV=production, LOG_LEVEL=info, PAYOUT_MODE=MOCK, MOCK_CUSTODY_STEP_MS=${STEP_MS} (statuses at 0, ${STEP_MS} and ${3 * STEP_MS} ms after submission), DB_POOL_MAX 10`,
        '',
        `End to end: ${fmt(n)} UNLOCKED releases (${fmt(allocs)} allocations x ${PER_ALLOCATION}), ${chunks.length} releaseBatch calls of ${BATCH}, ${CONCURRENCY} in flight, over ${ADMINS} SITE_ADMINs`,
        '',
        '| measure | value | target |',
        '| --- | ---: | --- |',
        `| wall time, first releaseBatch call -> all ${fmt(n)} RELEASED | ${fmt(wallS, 1)} s | < 60 s: ${e2eMet ? 'met' : 'NOT met'} |`,
        `| releases/s | ${fmt(n / wallS)} | |`,
        `| releaseBatch calls answered (submitted to custody) after | ${fmt((batchesDoneAt - t0) / 1000, 1)} s | |`,
        `| releaseBatch call, p50 / p99 (${calls.n} calls) | ${ms(calls.p50)} / ${ms(calls.p99)} ms | |`,
        `| custody webhook requests (POST /webhooks/fireblocks) | ${fmt(wh.n)}: ${fmt(wh.n - non200)} answered 200, ${non200} answered 500 (${deadlocks} PostgreSQL deadlocks logged; the custody retried them) | 3 per release, all 200 |`,
        `| webhook handling, request log ms: p50 / p99 / max | ${ms(wh.p50)} / ${ms(wh.p99)} / ${ms(wh.max)} ms | p99 < 10 ms: ${p99Met ? 'met' : 'NOT met'} (seed system: 50 ms ${wh.p99 < 50 ? 'met' : 'NOT met'}) |`,
        `| webhook delivery lag (MOCK due to send -> event stored), p50 / p99 / max | ${ms(lag.p50)} / ${ms(lag.p99)} / ${ms(lag.max)} ms | |`,
        `| Vestline CPU over the run (user + system) | ${fmt(cpuS, 1)} s (${fmt((cpuS * 1000) / n, 2)} ms per release) | |`,
        `| sum of RELEASED amounts = sum of allocations' released_amount = sum of total_amount (base units) | ${money.sum_released === money.sum_alloc_released && money.sum_alloc_released === money.sum_total ? 'equal' : 'DIFFERENT'}: ${money.sum_total} | exact |`,
        `| allocations COMPLETED | ${fmt(money.completed)} of ${fmt(allocs)} | all |`,
        `| MOCK custody transactions / distinct external_tx_id / matching the release's custody id | ${fmt(custody.txs)} / ${fmt(custody.distinct_ext)} / ${fmt(custody.id_matches)} | ${fmt(n)}, no duplicates |`,
        `| custody_event rows / distinct event keys / distinct (release, status) / releases without exactly 3 | ${fmt(events.n)} / ${fmt(events.keys)} / ${fmt(events.per_status)} / ${events.bad_releases} | ${fmt(3 * n)}, 0 |`,
        `| custody_event outcomes | ${Object.entries(events.outcomes ?? {}).map(([k, v]) => `${k} ${fmt(v)}`).join(', ')} | |`,
        `| outbox events release.released / allocation.completed | ${fmt(outbox.released)} / ${fmt(outbox.completed)} | ${fmt(n)} / ${fmt(allocs)} |`,
        '',
        `The webhook alone: distinct signed events (PROCESSING releases x SUBMITTED, CONFIRMING, COMPLETED, phase by phase), each server its own releases, autocannon with 1 and with ${ALONE_CONNECTIONS} connections, no rate limit`,
        '',
        '| connections | events | server | req/s | client p50 / p99 ms | handling p50 / p99 / max ms (in process) | ÷ bare (req/s) | CPU ms/event | errors / non-2xx | releases RELEASED, sums equal |',
        '| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
        ...aloneRows,
        '',
        failures.length ? `CHECKS FAILED:\n${failures.map((f) => `- ${f}`).join('\n')}` : 'All checks passed.',
        '',
      ].join('\n'),
    );
    return failures.length ? 1 : 0;
  } finally {
    for (const c of cleanups) await c().catch((e: unknown) => log(`cleanup: ${String(e)}`));
    if (!process.env.BENCH_KEEP_LOGS) await rm(logDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench:payouts failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
