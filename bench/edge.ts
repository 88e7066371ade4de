/**
 * `npm run bench:edge`: what the edge worker costs. A plain node:http origin (answers 200 after reading
 * the body) is loaded directly and through the worker running in workerd (Miniflare, the runtime
 * `wrangler dev` uses), in one run, 127.0.0.1 only. Every request is a distinct Fireblocks-signed
 * (v1, RSA-2048) event, so each one through the worker is verified, HMAC-signed and forwarded; a last row
 * re-sends them, which the worker answers itself from its replay store.
 * Prints a markdown report on stdout; progress goes to stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createSign, generateKeyPairSync } from 'node:crypto';
import { Agent, request } from 'node:http';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import autocannon from 'autocannon';
import { bundleWorker, startEdge, type EdgeWorker } from '../test/edge/support/worker.js';

const bounded = (name: string, fallback: number, min: number, max: number) => Math.min(Math.max(Number(process.env[name] ?? fallback) || fallback, min), max);
/** Requests per loaded row; every one needs its own RSA signature, made before the run. */
const REQUESTS = bounded('BENCH_EDGE_REQUESTS', 4000, 500, 20000);
const WARMUP = 300;
const CONNECTIONS = 10;
const SEQUENTIAL = bounded('BENCH_EDGE_SEQUENTIAL', 1000, 100, 5000);
const DEADLINE_MS = 180_000;
const SECRET = 'bench-edge-shared-secret-0123456789abcdef';
const PATH = '/webhooks/fireblocks';

/**
 * edge/src/replay.ts with the store taken out (the SHA-256 stays). Miniflare simulates the Cache API
 * with a Durable Object and SQLite, which costs locally what a colo cache does not; this row shows it.
 */
const NO_STORE_REPLAY = `
import { toHex } from './encoding.js';
export const REPLAY_WINDOW_SECONDS = 600;
export interface ReplayStore { readonly kind: 'cache' | 'kv'; seen(key: string): Promise<boolean>; remember(key: string): Promise<void> }
export async function replayKey(body: Uint8Array): Promise<string> { return toHex(await crypto.subtle.digest('SHA-256', body)); }
export function replayStore(_kv?: unknown, _host?: string): ReplayStore { return { kind: 'cache', seen: async () => false, remember: async () => undefined }; }
`;

const log = (msg: string) => process.stderr.write(`bench:edge: ${msg}\n`);

interface Signed {
  body: string;
  headers: Record<string, string>;
}

/** The origin in its own process, so neither the load generator nor the worker shares its event loop. */
const ORIGIN_SOURCE = `
const http = require('node:http');
let received = 0;
const server = http.createServer((req, res) => {
  if (req.url === '/count') return res.end(String(received));
  req.on('data', () => {});
  req.on('end', () => { received++; res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'); });
});
server.keepAliveTimeout = 30000;
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

async function startOrigin(): Promise<{ url: string; child: ChildProcess; count(): Promise<number> }> {
  const child = spawn(process.execPath, ['-e', ORIGIN_SOURCE], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((ok, fail) => {
    child.once('error', fail);
    child.stdout!.once('data', (d: Buffer) => ok(Number(d.toString().trim())));
  });
  const url = `http://127.0.0.1:${port}`;
  return { url, child, count: async () => Number(await (await fetch(`${url}/count`)).text()) };
}

function signedEvents(n: number, prefix: string, sign: (body: string) => string): Signed[] {
  return Array.from({ length: n }, (_, i) => {
    const body = JSON.stringify({ type: 'TRANSACTION_STATUS_UPDATED', tenantId: 'bench', timestamp: 1_800_000_000_000 + i, data: { id: `${prefix}-${i}`, externalTxId: `rel-${prefix}-${i}`, status: 'COMPLETED', subStatus: 'CONFIRMED', txHash: `0x${i.toString(16).padStart(64, '0')}` } });
    return { body, headers: { 'content-type': 'application/json', 'fireblocks-signature': sign(body) } };
  });
}

async function load(url: string, events: Signed[], connections = CONNECTIONS): Promise<autocannon.Result> {
  if (new URL(url).hostname !== '127.0.0.1') throw new Error(`refusing to load ${url}: 127.0.0.1 only`);
  let next = 0;
  return autocannon({
    url,
    connections,
    amount: events.length,
    // autocannon stops on a sampling tick; 10 ms ticks keep the measured duration (and so req/s) exact.
    sampleInt: 10,
    requests: [
      {
        method: 'POST',
        // One distinct signed event per request, in order.
        setupRequest: (req) => {
          const e = events[next++ % events.length]!;
          return { ...req, method: 'POST', path: PATH, body: e.body, headers: e.headers };
        },
      },
    ],
  });
}

/** One connection, one request at a time: the latency of a single delivery, with µs resolution. */
async function sequential(url: string, events: Signed[]): Promise<{ p50: number; p99: number; non2xx: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const target = new URL(PATH, url);
  const times: number[] = [];
  let non2xx = 0;
  for (const e of events) {
    const started = process.hrtime.bigint();
    const status = await new Promise<number>((ok, fail) => {
      const req = request(target, { method: 'POST', agent, headers: { ...e.headers, 'content-length': Buffer.byteLength(e.body) } }, (res) => {
        res.resume();
        res.on('end', () => ok(res.statusCode ?? 0));
      });
      req.on('error', fail);
      req.end(e.body);
    });
    times.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (status < 200 || status >= 300) non2xx++;
  }
  agent.destroy();
  times.sort((a, b) => a - b);
  const pct = (p: number) => times[Math.min(times.length - 1, Math.ceil((p / 100) * times.length) - 1)]!;
  return { p50: pct(50), p99: pct(99), non2xx };
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    log(`still running after ${DEADLINE_MS / 1000} s, giving up`);
    process.exit(2);
  }, DEADLINE_MS);
  deadline.unref();

  let origin: Awaited<ReturnType<typeof startOrigin>> | undefined;
  let edge: EdgeWorker | undefined;
  let noStore: EdgeWorker | undefined;
  try {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const sign = (body: string) => createSign('RSA-SHA512').update(body).sign(privateKey, 'base64');
    log(`signing ${WARMUP + REQUESTS + 2 * SEQUENTIAL} events`);
    const warmup = signedEvents(WARMUP, 'warm', sign);
    const events = signedEvents(REQUESTS, 'load', sign);
    const seqEvents = signedEvents(SEQUENTIAL, 'seq', sign);
    const seqWarm = signedEvents(SEQUENTIAL, 'seqwarm', sign);

    origin = await startOrigin();
    const vars = { ORIGIN_URL: origin.url, EDGE_SHARED_SECRET: SECRET, FIREBLOCKS_WEBHOOK_PUBLIC_KEYS: publicKey.export({ format: 'pem', type: 'spki' }).toString() };
    edge = await startEdge({ vars });
    noStore = await startEdge({ vars, script: await bundleWorker({ 'replay.ts': NO_STORE_REPLAY }) });
    const edgeUrl = edge.url.toString();
    const noStoreUrl = noStore.url.toString();

    // Correctness first: the worker must forward a signed event and the origin must count it.
    const probe = await fetch(new URL(PATH, edgeUrl), { method: 'POST', body: warmup[0]!.body, headers: warmup[0]!.headers });
    if (probe.status !== 200 || (await origin.count()) !== 1) throw new Error(`worker did not forward the probe (status ${probe.status})`);

    log('warm-up');
    await load(origin.url, warmup);
    await load(edgeUrl, warmup.slice(1));
    await load(noStoreUrl, warmup);
    await sequential(origin.url, seqWarm.slice(0, 200));
    await sequential(edgeUrl, seqWarm.slice(0, 200));
    await sequential(noStoreUrl, seqWarm.slice(0, 200));

    /** One loaded row, and how many requests of it reached the origin. */
    const row = async (name: string, url: string): Promise<LoadRow> => {
      log(`${name}: ${REQUESTS} requests`);
      const before = await origin!.count();
      const result = await load(url, events);
      return { name, result, originSaw: (await origin!.count()) - before };
    };
    const rows = [
      await row('origin directly', origin.url),
      await row('through the worker (verify, HMAC, forward)', edgeUrl),
      // The same events again: all seen, so the worker answers them itself.
      await row('through the worker, replayed bodies (answered at the edge)', edgeUrl),
      await row('through the worker, replay store taken out', noStoreUrl),
    ];

    log(`one at a time: ${SEQUENTIAL} requests each`);
    const seq = {
      direct: await sequential(origin.url, seqEvents),
      through: await sequential(edgeUrl, seqEvents),
      noStore: await sequential(noStoreUrl, seqEvents),
    };
    console.log(report(rows, seq));
  } finally {
    await edge?.dispose().catch(() => undefined);
    await noStore?.dispose().catch(() => undefined);
    origin?.child.kill();
  }
}

interface LoadRow {
  name: string;
  result: autocannon.Result;
  originSaw: number;
}

type Sequential = { p50: number; p99: number; non2xx: number };

function report(rows: LoadRow[], seq: { direct: Sequential; through: Sequential; noStore: Sequential }): string {
  const cpu = cpus();
  const version = (pkg: string) => (JSON.parse(readFileSync(new URL(`../node_modules/${pkg}/package.json`, import.meta.url), 'utf8')) as { version: string }).version;
  const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
  // Requests over wall time: a fixed number of requests, so the run length is what is measured.
  const rate = (x: autocannon.Result) => x.requests.total / ((new Date(x.finish).getTime() - new Date(x.start).getTime()) / 1000);
  const added = (a: number, b: number) => `${a - b >= 0 ? '+' : ''}${fmt(a - b, 2)}`;
  return [
    `Date: ${new Date().toISOString()}`,
    `Machine: ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${fmt(totalmem() / 2 ** 30, 1)} GiB RAM, ${process.platform}/${process.arch}`,
    `Runtime: Node ${process.version}; worker in workerd via Miniflare ${version('miniflare')}; origin a plain node:http server in its own process`,
    `Command: npm run bench:edge  (node --import @swc-node/register/esm-register bench/edge.ts)`,
    `Load: autocannon in the main thread, ${CONNECTIONS} connections, ${fmt(REQUESTS)} distinct v1-signed events per row after a ${WARMUP}-request warm-up, 127.0.0.1 only`,
    '',
    '| under load | req/s | p50 ms | p99 ms | errors / non-2xx | origin saw |',
    '|---|---:|---:|---:|---:|---|',
    ...rows.map((r) => `| ${r.name} | ${fmt(rate(r.result))} | ${r.result.latency.p50} | ${r.result.latency.p99} | ${r.result.errors} / ${r.result.non2xx} | ${fmt(r.originSaw)} |`),
    '',
    `| one request at a time (${fmt(SEQUENTIAL)} requests, keep-alive) | p50 ms | p99 ms | non-2xx |`,
    '|---|---:|---:|---:|',
    `| origin directly | ${fmt(seq.direct.p50, 2)} | ${fmt(seq.direct.p99, 2)} | ${seq.direct.non2xx} |`,
    `| through the worker | ${fmt(seq.through.p50, 2)} | ${fmt(seq.through.p99, 2)} | ${seq.through.non2xx} |`,
    `| added by the worker | ${added(seq.through.p50, seq.direct.p50)} | ${added(seq.through.p99, seq.direct.p99)} | |`,
    `| through the worker, replay store taken out | ${fmt(seq.noStore.p50, 2)} | ${fmt(seq.noStore.p99, 2)} | ${seq.noStore.non2xx} |`,
    `| added by the worker without the store | ${added(seq.noStore.p50, seq.direct.p50)} | ${added(seq.noStore.p99, seq.direct.p99)} | |`,
  ].join('\n');
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    log(`failed: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  },
);
