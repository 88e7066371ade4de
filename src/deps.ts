import type { Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { migrate, type Orm } from './db/orm.js';
import { plainReads, type PlainReads } from './db/plain-reads.js';
import { createMetrics, type Metrics } from './http/metrics.js';
import type { Logger } from './logger.js';
import { Network } from './entities/enums.js';
import { erc20Reader, trc20Reader, type BalanceReaders } from './services/chain/balance-readers.js';
import { keyring, type Keyring } from './services/wallet-keys/master-keys.js';
import { verifyMasterKeys } from './services/wallet-keys/verify-master-keys.js';
import { createEventBus, EVENT_CHANNEL, type EventBus } from './services/events/pg-pubsub.js';
import { createPayouts, type Payouts } from './services/payouts/custody.js';
import { createMailer, type Mailer } from './services/notifications/email/mailer.js';


/** The time source use cases and jobs read, so tests can move it. */
export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

/** Long-lived things every use case and job may reach; built once per process by buildDeps. */
export interface Deps {
  config: Config;
  logger: Logger;
  orm: Orm;
  /** Wallet key-encryption keys; only services/wallet-keys opens or seals with them. */
  keyring: Keyring;
  clock: Clock;
  metrics: Metrics;
  /** On-chain balance readers per network; a network without an endpoint has none. */
  chain: BalanceReaders;
  /** Plain-row reads on the ORM's pool, for the hot path and list pages (see db/plain-reads.ts). */
  reads: PlainReads;
  /** Events across processes (LISTEN/NOTIFY): workers publish state changes, API processes deliver them to subscribers. */
  events: EventBus;
  /** Custody (MOCK or LIVE by PAYOUT_MODE) and the keys custody webhooks are verified with. */
  payouts: Payouts;
  /** Customer e-mails over SMTP; null when SMTP_URL is unset (the channel is off). */
  mailer: Mailer | null;
}

export interface BuiltDeps {
  deps: Deps;
  db: Database;
  /** Releases what buildDeps opened (chain clients, then the database), in reverse order. */
  close(): Promise<void>;
}

function balanceReaders(config: Config): { readers: BalanceReaders; destroy(): void } {
  const eth = config.ETH_RPC_URL ? erc20Reader(config.ETH_RPC_URL, config.CHAIN_READ_TIMEOUT_MS) : undefined;
  return {
    readers: { ...(eth ? { [Network.ETHEREUM]: eth } : {}), [Network.TRON]: trc20Reader(config.TRON_API_URL, config.TRON_API_KEY) },
    destroy: () => eth?.destroy(),
  };
}

/**
 * Opens the database (embedded when no DATABASE_URL), applies or checks migrations, checks the wallet
 * master keys against stored wallets, and builds the shared dependencies. Anything wrong here stops
 * the process before it takes a request.
 */
export async function buildDeps(config: Config, logger: Logger): Promise<BuiltDeps> {
  const db = await openDatabase(config, logger);
  try {
    if (config.MIGRATE_ON_START) {
      const applied = await migrate(db.orm);
      if (applied.length) logger.info({ applied }, 'applied migrations');
    } else {
      const pending = await db.orm.migrator.getPending();
      if (pending.length) throw new Error(`the database has ${pending.length} pending migration(s): run npm run migrate (or set MIGRATE_ON_START=1 on one instance)`);
    }
    // A wrong WALLET_MASTER_KEYS must stop the process now, not at the first payout.
    const ring = keyring(config.WALLET_MASTER_KEYS);
    await verifyMasterKeys(db.orm.em.fork(), ring);
    // A bad SMTP_URL or SMTP_FROM stops the process now too (no connection is made until the first e-mail).
    const mailer = config.SMTP_URL ? createMailer(config.SMTP_URL, { from: config.SMTP_FROM, timeoutMs: config.SMTP_TIMEOUT_MS }) : null;
    const reads = plainReads(db.orm);
    const events = await createEventBus({ databaseUrl: db.url, channel: EVENT_CHANNEL, logger, notify: (channel, json) => reads.rows('select pg_notify(?, ?)', [channel, json]).then(() => undefined) });
    const chain = balanceReaders(config);
    const payouts = await createPayouts(config, db.orm, logger);
    const deps: Deps = { config, logger, orm: db.orm, keyring: ring, clock: systemClock, metrics: createMetrics(), chain: chain.readers, reads, events, payouts, mailer };
    return {
      deps,
      db,
      async close() {
        chain.destroy();
        await payouts.custody.close();
        mailer?.close();
        await events.close();
        await db.close();
      },
    };
  } catch (e) {
    await db.close().catch(() => undefined);
    throw e;
  }
}
