/**
 * `npm run bench:detection`: how long a payment takes to show up, end to end across processes. The
 * deposit watcher runs in a worker process, the subscriber talks to an API process over graphql-ws, and
 * the payment is a real ERC20 transfer on anvil. Latency = from the moment the block that confirms the
 * transfer is mined (evm_mine returns) to the moment the subscriber receives `orderUpdated` with PAID.
 * Measured twice: with new heads by WebSocket (ETH_RPC_URL ws://) and by polling alone (http://, the
 * default DEPOSIT_POLL_INTERVAL_MS of 3000).
 *
 *   BENCH_PAYMENTS=100 BENCH_BATCH=10   payments per mode, and how many share a block
 *   DATABASE_URL=postgres://…           a fresh database on that server (unset: embedded PostgreSQL)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startAnvil, type Anvil, type DeployedToken } from '../src/dev/anvil.js';
import { freshDatabase } from './fresh-database.js';
import { startVestlineProcess, type VestlineProcess, BENCH_ADMIN, vestlineEnv } from './platform/processes.js';

const PAYMENTS = Number(process.env.BENCH_PAYMENTS ?? 100);
const BATCH = Number(process.env.BENCH_BATCH ?? 10);
const POLL_MS = 3000;
const PASSWORD = 'bench-password-123';
const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

async function gql<T>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: unknown };
  if (!body.data || body.errors) throw new Error(`${query.slice(0, 60)}: ${JSON.stringify(body.errors)}`);
  return body.data;
}

const login = async (url: string, email: string, password: string) =>
  (await gql<{ login: { token: string } }>(url, 'mutation($e:String!,$p:String!){login(email:$e,password:$p){token}}', { e: email, p: password })).login.token;

/** A site selling on Ethereum with the anvil token, 2 confirmations (the transfer's block and one more). */
async function seed(url: string, token: DeployedToken, wallets: number) {
  const root = await login(url, BENCH_ADMIN.email, BENCH_ADMIN.password);
  const { createSite } = await gql<{ createSite: { id: string } }>(url, 'mutation{createSite(slug:"latency",name:"Latency"){id}}', {}, root);
  const user = 'mutation($i:CreateUserInput!){createUser(input:$i){id}}';
  await gql(url, user, { i: { email: 'admin@latency.test', password: PASSWORD, role: 'SITE_ADMIN', siteId: createSite.id } }, root);
  await gql(url, user, { i: { email: 'customer@latency.test', password: PASSWORD, role: 'CUSTOMER', siteId: createSite.id } }, root);
  const admin = await login(url, 'admin@latency.test', PASSWORD);
  await gql(url, 'mutation{updateSiteSettings(input:{tokenPrice:"0.05"}){id}}', {}, admin);
  const asset = 'mutation($i:AssetInput!){upsertAsset(input:$i){id}}';
  await gql(url, asset, { i: { network: 'ETHEREUM', symbol: 'USDT', decimals: 6, contractAddress: token.address, purpose: 'PAYMENT', confirmationsRequired: 2, active: true } }, admin);
  await gql(url, asset, { i: { network: 'ETHEREUM', symbol: 'SALE', decimals: 18, contractAddress: '0x1234567890abcdef1234567890abcdef12345678', purpose: 'DISTRIBUTION', confirmationsRequired: 2, active: true } }, admin);
  const plan = await gql<{ createVestingPlan: { id: string } }>(url, 'mutation{createVestingPlan(input:{name:"p",tgeBps:0,cliffDays:0,periods:1,periodDays:1}){id}}', {}, admin);
  for (let left = wallets; left > 0; left -= 500) await gql(url, 'mutation($n:Int!){generateWallets(network:ETHEREUM,count:$n){id}}', { n: Math.min(500, left) }, admin);
  return { customer: await login(url, 'customer@latency.test', PASSWORD), planId: plan.createVestingPlan.id };
}

/** One graphql-ws subscription to an order; resolves the time each status first arrived. */
function watchOrder(graphqlUrl: string, token: string, orderId: string) {
  const ws = new WebSocket(graphqlUrl.replace(/^http/, 'ws'), 'graphql-transport-ws');
  const seen = new Map<string, number>();
  const waiters: { status: string; resolve: (t: number) => void }[] = [];
  const ready = new Promise<void>((ok, fail) => {
    ws.on('error', fail);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as { type: string; payload?: { data?: { orderUpdated?: { status: string } } } };
      if (msg.type === 'connection_ack') {
        ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription($id:ID!){orderUpdated(id:$id){status}}', variables: { id: orderId } } }));
        ok();
      }
      const status = msg.payload?.data?.orderUpdated?.status;
      if (msg.type === 'next' && status && !seen.has(status)) {
        const at = performance.now();
        seen.set(status, at);
        for (const w of waiters.filter((x) => x.status === status)) w.resolve(at);
      }
    });
  });
  return {
    ready,
    when: (status: string, timeoutMs: number) =>
      new Promise<number>((resolve, reject) => {
        const at = seen.get(status);
        if (at !== undefined) return resolve(at);
        const timer = setTimeout(() => reject(new Error(`order ${orderId}: no ${status} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ status, resolve: (t) => (clearTimeout(timer), resolve(t)) });
      }),
    close: () => ws.close(),
  };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function measureMode(mode: 'ws' | 'poll', anvil: Anvil, token: DeployedToken, api: VestlineProcess, env: Record<string, string>, logDir: string, customer: string, planId: string) {
  const rpc = mode === 'ws' ? anvil.url.replace(/^http/, 'ws') : anvil.url;
  const worker = await startVestlineProcess({ ...env, ETH_RPC_URL: rpc, DEPOSIT_POLL_INTERVAL_MS: String(POLL_MS) }, join(logDir, `worker-${mode}.log`), 'worker');
  const latencies: number[] = [];
  try {
    // Let the worker take its watcher lock and read the chain once.
    await new Promise((r) => setTimeout(r, POLL_MS + 500));
    for (let done = 0; done < PAYMENTS; done += BATCH) {
      const n = Math.min(BATCH, PAYMENTS - done);
      const orders = await Promise.all(
        Array.from({ length: n }, () =>
          gql<{ createOrder: { id: string; payToAddress: string } }>(
            api.graphqlUrl,
            'mutation($i:CreateOrderInput!){createOrder(input:$i){id payToAddress}}',
            { i: { network: 'ETHEREUM', amount: '10', payoutAddress: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8', planId } },
            customer,
          ),
        ),
      );
      const subs = orders.map((o) => watchOrder(api.graphqlUrl, customer, o.createOrder.id));
      await Promise.all(subs.map((s) => s.ready));
      await new Promise((r) => setTimeout(r, 200)); // each subscription's order check is asynchronous
      await anvil.provider.send('evm_setAutomine', [false]);
      for (const o of orders) await token.contract.getFunction('transfer').send(o.createOrder.payToAddress, 10_000_000n);
      await anvil.provider.send('evm_mine', []);
      await Promise.all(subs.map((s) => s.when('CONFIRMING', POLL_MS * 3)));
      // A random phase against the watcher's poll, so the samples cover the whole interval.
      await new Promise((r) => setTimeout(r, Math.random() * POLL_MS));
      await anvil.provider.send('evm_mine', []);
      const confirmedAt = performance.now();
      await anvil.provider.send('evm_setAutomine', [true]);
      const paid = await Promise.all(subs.map((s) => s.when('PAID', POLL_MS * 3)));
      latencies.push(...paid.map((t) => t - confirmedAt));
      for (const s of subs) s.close();
    }
  } finally {
    await worker.stop();
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  return { mode, n: sorted.length, p50: percentile(sorted, 50), p95: percentile(sorted, 95), max: sorted.at(-1)! };
}

async function main(): Promise<number> {
  const logDir = await mkdtemp(join(tmpdir(), 'vl-bench-detection-'));
  const db = await freshDatabase();
  const anvil = await startAnvil();
  const cleanups: (() => Promise<unknown>)[] = [() => anvil.stop(), () => db.drop()];
  try {
    const token = await anvil.deployToken({ name: 'Tether USD', symbol: 'USDT', decimals: 6 });
    await anvil.mint(token, anvil.deployer.address, 10n ** 15n);
    const env = vestlineEnv(db.url, { WALLET_POOL_MIN_AVAILABLE: '0' });
    log(`database: ${db.description}; anvil ${anvil.url}; logs in ${logDir}`);
    const api = await startVestlineProcess(env, join(logDir, 'api.log'), 'api');
    cleanups.unshift(() => api.stop());
    const { customer, planId } = await seed(api.graphqlUrl, token, 2 * PAYMENTS + 10);
    const rows = [];
    for (const mode of ['ws', 'poll'] as const) {
      log(`measuring ${PAYMENTS} payments with ${mode === 'ws' ? 'WebSocket heads' : `polling every ${POLL_MS} ms`}`);
      rows.push(await measureMode(mode, anvil, token, api, env, logDir, customer, planId));
    }
    const fmt = (ms: number) => `${Math.round(ms)} ms`;
    process.stdout.write(
      [
        `Detection latency: confirming block mined -> orderUpdated PAID at a graphql-ws subscriber of another process (api + worker + anvil on this machine; ${PAYMENTS} payments per mode, ${BATCH} per block; DEPOSIT_POLL_INTERVAL_MS=${POLL_MS})`,
        '',
        '| heads | payments | p50 | p95 | max | target |',
        '| --- | ---: | ---: | ---: | ---: | --- |',
        ...rows.map((r) => `| ${r.mode === 'ws' ? 'WebSocket (eth_subscribe newHeads)' : `polling (${POLL_MS} ms)`} | ${r.n} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.max)} | ${r.mode === 'ws' ? 'p95 < 1 s' : `p95 < ${POLL_MS / 1000 + 1} s`}: ${r.p95 < (r.mode === 'ws' ? 1000 : POLL_MS + 1000) ? 'met' : 'MISSED'} |`),
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    for (const c of cleanups) await c().catch((e: unknown) => log(`cleanup: ${String(e)}`));
    await rm(logDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`bench:detection failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
