/**
 * `npm run bench:webhooks`: merchant webhooks from the outbox to a receiver. One Vestline process
 * (`--role=all`, NODE_ENV=production, LOG_LEVEL=info, WEBHOOK_ALLOW_PRIVATE_TARGETS=1,
 * AGENDA_PROCESS_EVERY_MS=BENCH_PROCESS_EVERY_MS, 200) on a fresh database. The receiver is an HTTPS
 * server in this process on 127.0.0.1 (production delivers to https only; its self-signed certificate
 * is given to Vestline with NODE_EXTRA_CA_CERTS) that answers 204 and records arrival time, path and
 * webhook-id. Two endpoints of one site (/a and /b, events order.created) point at it; BENCH_ORDERS
 * (1,000) orders are created through the API (BENCH_ORDER_CONCURRENCY in flight), each emitting
 * order.created in its transaction: 2 deliveries per order. Measured until every delivery arrived:
 * deliveries/s, latency from the createOrder answer to arrival, and what it is made of (outbox row ->
 * the delivery job's attempt -> arrival). Checks: each (endpoint, webhook-id) exactly once, every
 * signature valid (standardwebhooks with the endpoint's secret), every delivery DELIVERED at attempt 1.
 *
 *   DATABASE_URL=postgres://…   a new database on that server (unset: embedded PostgreSQL)
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { Webhook } from 'standardwebhooks';
import { freshDatabase } from './fresh-database.js';
import { startVestlineProcess } from './platform/processes.js';
import { ETH_PAYOUT, fmt, gql, log, machine, openSite, percentile, ROLE_ALL, vestlineEnv } from './payouts/common.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_ORDER_CONCURRENCY ?? 10);
const PROCESS_EVERY_MS = Number(process.env.BENCH_PROCESS_EVERY_MS ?? 200);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 120) * 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Wall-clock milliseconds with sub-millisecond resolution, comparable with the database's timestamps. */
const nowMs = () => performance.timeOrigin + performance.now();

interface Arrival {
  path: string;
  id: string;
  at: number;
  headers: Record<string, string>;
  body: string;
}

const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1) ?? NaN, min: s[0] ?? NaN };
};

async function main(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'vl-bench-webhooks-'));
  const cleanups: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
  const failures: string[] = [];
  const expect = (ok: boolean, what: string) => {
    if (!ok) failures.push(what);
  };
  try {
    // A self-signed certificate for 127.0.0.1, trusted by the Vestline process only.
    const certFile = join(dir, 'cert.pem');
    const keyFile = join(dir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
    const arrivals: Arrival[] = [];
    const receiver = createServer({ key: await readFile(keyFile), cert: await readFile(certFile) }, (req, res) => {
      const at = nowMs();
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        res.writeHead(204).end();
        const h = req.headers as Record<string, string>;
        arrivals.push({ path: req.url ?? '', id: h['webhook-id'] ?? '', at, headers: { 'webhook-id': h['webhook-id']!, 'webhook-timestamp': h['webhook-timestamp']!, 'webhook-signature': h['webhook-signature']! }, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    await new Promise<void>((ok) => receiver.listen(0, '127.0.0.1', ok));
    cleanups.unshift(() => new Promise((ok) => receiver.close(ok)));
    const port = (receiver.address() as { port: number }).port;

    const db = await freshDatabase();
    cleanups.unshift(() => db.drop());
    log(`database: ${db.description}; receiver https://127.0.0.1:${port}`);
    const logFile = join(dir, 'vestline.log');
    const vl = await startVestlineProcess(
      vestlineEnv(db.url, { WEBHOOK_ALLOW_PRIVATE_TARGETS: '1', AGENDA_PROCESS_EVERY_MS: String(PROCESS_EVERY_MS), NODE_EXTRA_CA_CERTS: certFile }),
      logFile,
      ROLE_ALL,
    );
    cleanups.unshift(() => vl.stop());
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    cleanups.unshift(() => client.end());

    const site = await openSite(vl.graphqlUrl, 'webhooks', 1, ORDERS + 10);
    const admin = site.admins[0]!.token;
    const secrets = new Map<string, string>();
    for (const path of ['/a', '/b']) {
      const r = await gql<{ createWebhookEndpoint: { secret: string } }>(
        vl.graphqlUrl,
        'mutation($u:String!,$e:[String!]){createWebhookEndpoint(url:$u,events:$e){secret}}',
        { u: `https://127.0.0.1:${port}${path}`, e: ['order.created'] },
        admin,
      );
      secrets.set(path, r.createWebhookEndpoint.secret);
    }
    log(`site with ${ORDERS + 10} wallets and 2 endpoints; creating ${ORDERS} orders, ${CONCURRENCY} at a time`);

    const answered = new Map<string, number>();
    const t0 = nowMs();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < ORDERS; i = next++) {
          const r = await gql<{ createOrder: { id: string } }>(
            vl.graphqlUrl,
            'mutation($i:CreateOrderInput!){createOrder(input:$i){id}}',
            { i: { network: 'ETHEREUM', amount: '100', payoutAddress: ETH_PAYOUT, planId: site.planId } },
            site.customer.token,
          );
          answered.set(r.createOrder.id, nowMs());
        }
      }),
    );
    const ordersDone = nowMs();
    while (arrivals.length < 2 * ORDERS && nowMs() - t0 < TIMEOUT_MS) await sleep(50);
    await sleep(1500); // anything sent twice would arrive now
    const lastArrival = Math.max(...arrivals.map((a) => a.at));
    const firstArrival = Math.min(...arrivals.map((a) => a.at));

    const { rows } = await client.query<{ event_id: string; order_id: string; created_ms: number; endpoint_url: string; attempt_ms: number | null; status: string; attempts: number }>(
      `select ev.id as event_id, ev.data->>'id' as order_id, extract(epoch from ev.created_at) * 1000 as created_ms, e.url as endpoint_url,
         extract(epoch from d.delivered_at) * 1000 as attempt_ms, d.status::text as status, d.attempts
       from notification_event ev join webhook_delivery d on d.event_id = ev.id join webhook_endpoint e on e.id = d.endpoint_id
       where ev.site_id = $1 and ev.type = 'order.created'`,
      [site.siteId],
    );
    const byKey = new Map(rows.map((r) => [`${new URL(r.endpoint_url).pathname} ${r.event_id}`, r]));
    const seen = new Set<string>();
    let dupes = 0;
    let badSig = 0;
    let unknown = 0;
    const fromAnswer: number[] = [];
    const fromCommitStart: number[] = [];
    const toAttempt: number[] = [];
    const attemptToArrival: number[] = [];
    for (const a of arrivals) {
      const key = `${a.path} ${a.id}`;
      if (seen.has(key)) dupes++;
      seen.add(key);
      try {
        new Webhook(secrets.get(a.path)!).verify(a.body, a.headers);
      } catch {
        badSig++;
      }
      const r = byKey.get(key);
      if (!r) {
        unknown++;
        continue;
      }
      const ans = answered.get(r.order_id);
      if (ans !== undefined) fromAnswer.push(a.at - ans);
      fromCommitStart.push(a.at - Number(r.created_ms));
      if (r.attempt_ms !== null) {
        toAttempt.push(Number(r.attempt_ms) - Number(r.created_ms));
        attemptToArrival.push(a.at - Number(r.attempt_ms));
      }
    }
    const delivered = rows.filter((r) => r.status === 'DELIVERED' && r.attempts === 1).length;
    expect(rows.length === 2 * ORDERS, `${rows.length} deliveries in the outbox, expected ${2 * ORDERS}`);
    expect(arrivals.length === 2 * ORDERS && seen.size === 2 * ORDERS && dupes === 0 && unknown === 0, `arrivals ${arrivals.length}, distinct ${seen.size}, duplicates ${dupes}, unknown ${unknown} (expected ${2 * ORDERS} exactly once)`);
    expect(badSig === 0, `${badSig} signatures did not verify`);
    expect(delivered === 2 * ORDERS, `${delivered} deliveries DELIVERED at the first attempt, expected ${2 * ORDERS}`);
    const runs = (await readFile(logFile, 'utf8')).split('\n').filter((l) => l.includes('"msg":"webhooks attempted"')).map((l) => JSON.parse(l) as { time: string; attempted: number });

    const A = stats(fromAnswer);
    const C = stats(fromCommitStart);
    const W = stats(toAttempt);
    const S = stats(attemptToArrival);
    const ms = (x: number) => fmt(x, x < 10 ? 1 : 0);
    const secs = (x: number) => fmt(x / 1000, 2);
    process.stdout.write(
      [
        `Date: ${new Date().toISOString()}`,
        `Machine: ${machine()}; ${db.description}`,
        `Command: npm run bench:webhooks  (BENCH_ORDERS=${ORDERS} BENCH_ORDER_CONCURRENCY=${CONCURRENCY} BENCH_PROCESS_EVERY_MS=${PROCESS_EVERY_MS})`,
        `Vestline: one process, --role=all, NODE_ENV=production, LOG_LEVEL=info, WEBHOOK_ALLOW_PRIVATE_TARGETS=1, AGENDA_PROCESS_EVERY_MS=${PROCESS_EVERY_MS}; job webhooks.deliver every '5 seconds', 50 claimed per query, 16 in flight, a new TLS connection per attempt`,
        `Receiver: node:https in the bench process, 127.0.0.1, self-signed certificate (NODE_EXTRA_CA_CERTS), answers 204`,
        '',
        `${fmt(ORDERS)} orders (createOrder over HTTP, ${CONCURRENCY} in flight) x 2 endpoints = ${fmt(2 * ORDERS)} deliveries of order.created`,
        '',
        '| measure | value |',
        '| --- | ---: |',
        `| orders created (first call -> last answer) | ${secs(ordersDone - t0)} s, ${fmt(ORDERS / ((ordersDone - t0) / 1000))} orders/s |`,
        `| deliveries arrived, exactly once per endpoint, signatures valid | ${fmt(seen.size)} of ${fmt(2 * ORDERS)}; duplicates ${dupes}; bad signatures ${badSig}; DELIVERED at attempt 1: ${fmt(delivered)} |`,
        `| deliveries/s, first createOrder call -> last arrival | ${fmt((2 * ORDERS) / ((lastArrival - t0) / 1000))} (${secs(lastArrival - t0)} s) |`,
        `| deliveries/s, first arrival -> last arrival | ${fmt((2 * ORDERS) / ((lastArrival - firstArrival) / 1000))} (${secs(lastArrival - firstArrival)} s) |`,
        `| delivery job runs that sent something | ${runs.length} (attempted per run: ${runs.map((r) => r.attempted).join(', ')}) |`,
        `| createOrder answer -> receiver (p50 / p99 / max) | ${ms(A.p50)} / ${ms(A.p99)} / ${ms(A.max)} ms |`,
        `| outbox row (order transaction's start) -> receiver (p50 / p99 / max) | ${ms(C.p50)} / ${ms(C.p99)} / ${ms(C.max)} ms |`,
        `| of which: outbox row -> the job's attempt starts (p50 / p99 / max) | ${ms(W.p50)} / ${ms(W.p99)} / ${ms(W.max)} ms |`,
        `| of which: attempt starts -> receiver has the request (p50 / p99 / max) | ${ms(S.p50)} / ${ms(S.p99)} / ${ms(S.max)} ms |`,
        '',
        failures.length ? `CHECKS FAILED:\n${failures.map((f) => `- ${f}`).join('\n')}` : 'All checks passed.',
        '',
      ].join('\n'),
    );
    return failures.length ? 1 : 0;
  } finally {
    for (const c of cleanups) await c().catch((e: unknown) => log(`cleanup: ${String(e)}`));
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench:webhooks failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
