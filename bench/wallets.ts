/**
 * `npm run bench:wallets`: deposit-wallet generation rate per network (key generation, AES-256-GCM
 * sealing and the database insert) and allocation rate with 50 concurrent callers against one pool.
 * Runs in-process against a fresh database (see fresh-database.ts) and cleans up after itself.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { startApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { Network } from '../src/entities/enums.js';
import { SITE_FILTER } from '../src/entities/site-scope.js';
import { createLogger } from '../src/logger.js';
import { keyring } from '../src/services/wallet-keys/master-keys.js';
import { sealWalletKey } from '../src/services/wallet-keys/wallet-key-cipher.js';
import { generateKey } from '../src/services/chain/private-key.js';
import { generateWallets } from '../src/services/wallets/generate-wallets.js';
import { allocateWallet } from '../src/services/wallets/allocate-wallet.js';
import { freshDatabase } from './fresh-database.js';

const GENERATE_BATCHES = 4; // x 500 wallets per network
const POOL_SIZE = 6000;
const CALLERS = 50;
const DEADLINE_MS = 240_000;
const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    log('still running after the deadline, giving up');
    process.exit(2);
  }, DEADLINE_MS);
  deadline.unref();

  const db = await freshDatabase();
  const config = loadConfig(
    // 50 callers need 50 connections to be concurrent at the database, not queued in the pool.
    { NODE_ENV: 'test', PORT: '0', DATABASE_URL: db.url, LOG_LEVEL: 'silent', DB_POOL_MAX: String(CALLERS + 5), PASSWORD_SCRYPT_N: '1024' },
    ['--role=api'],
  );
  const app = await startApp(config, createLogger('silent'));
  try {
    const ring = keyring(config.WALLET_MASTER_KEYS);
    const conn = app.db.orm.em.fork().getConnection();
    const siteId = (await conn.execute<{ id: string }[]>(`insert into site (id, slug, name, created_at) values (gen_random_uuid(), 'bench', 'Bench', now()) returning id`))[0]!.id;
    const em = () => {
      const fork = app.db.orm.em.fork();
      fork.setFilterParams(SITE_FILTER, { siteId });
      return fork;
    };
    const scope = () => ({ em: em(), deps: app.deps, actor: null, siteId, ip: null });
    const rows: string[] = [];

    for (const network of [Network.TRON, Network.ETHEREUM]) {
      // CPU alone: key generation + sealing, no database.
      const n = 2000;
      let t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const k = generateKey(network);
        sealWalletKey(Buffer.from(k.privateKeyHex, 'hex'), { walletId: randomUUID(), network, address: k.address }, ring.newest);
      }
      const cpuRate = n / ((performance.now() - t0) / 1000);
      // End to end through the use case: generate, seal, insert 500 per transaction, plus the audit entry.
      t0 = performance.now();
      for (let b = 0; b < GENERATE_BATCHES; b++) await generateWallets(scope(), { network, count: 500 });
      const rate = (GENERATE_BATCHES * 500) / ((performance.now() - t0) / 1000);
      log(`${network}: ${rate.toFixed(0)} wallets/s stored, ${cpuRate.toFixed(0)} keys/s generated + sealed in memory`);
      rows.push(`| generateWallets ${network} (500 per call, stored) | ${rate.toFixed(0)} wallets/s | key + seal only: ${cpuRate.toFixed(0)}/s |`);
    }

    log(`filling the TRON pool to ${POOL_SIZE}`);
    const have = Number((await conn.execute<{ n: string }[]>(`select count(*) as n from wallet where network = 'TRON'`))[0]!.n);
    for (let left = POOL_SIZE - have; left > 0; left -= 500) await generateWallets(scope(), { network: Network.TRON, count: Math.min(500, left) });

    log(`allocating with ${CALLERS} concurrent callers until the pool is empty`);
    const latencies: number[] = [];
    let exhausted = 0;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        for (;;) {
          const started = performance.now();
          try {
            await allocateWallet(em(), siteId, Network.TRON, randomUUID());
            latencies.push(performance.now() - started);
          } catch (e) {
            if ((e as { reason?: string }).reason !== 'POOL_EXHAUSTED') throw e;
            exhausted++;
            return;
          }
        }
      }),
    );
    const seconds = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    const distinct = Number((await conn.execute<{ n: string }[]>(`select count(distinct current_order_id) as n from wallet where status = 'ALLOCATED'`))[0]!.n);
    if (distinct !== latencies.length) throw new Error(`allocated ${latencies.length} but ${distinct} distinct holders`);
    rows.push(
      `| allocateWallet TRON, ${CALLERS} concurrent callers, pool ${POOL_SIZE} | ${(latencies.length / seconds).toFixed(0)} allocations/s | p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms; ${latencies.length} allocated, ${exhausted} callers ended on POOL_EXHAUSTED, 0 shared |`,
    );

    const cpu = cpus();
    console.log(
      [
        `Date: ${new Date().toISOString()}`,
        `Machine: ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${cpu.length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM; Node ${process.version}; ${db.description}`,
        'Command: npm run bench:wallets',
        '',
        '| benchmark | rate | detail |',
        '|---|---:|---|',
        ...rows,
      ].join('\n'),
    );
  } finally {
    await app.stop();
    await db.drop();
  }
}

await main();
