import type { MikroORM } from '@mikro-orm/postgresql';
import type { Gauge } from 'prom-client';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { BalanceReaders } from '../services/chain/balance-readers.js';
import type { Keyring } from '../services/wallet-keys/master-keys.js';

export interface JobDeps {
  orm: MikroORM;
  config: Config;
  logger: Logger;
  keyring: Keyring;
  chain: BalanceReaders;
  metrics: { walletPoolAvailable: Gauge<'site' | 'network'> };
}

/**
 * One job, one file. Job data is stored in the job table and shown in the dashboard: it carries ids
 * only, never secrets; the handler loads what it needs.
 */
export interface JobDefinition<Data = undefined> {
  /** `domain.action`, e.g. `rate-limits.prune`. */
  name: string;
  /** Repeat interval (Agenda syntax, e.g. "10 minutes"); omit for on-demand jobs. */
  every?: string;
  /** Parallel runs of this job per worker process. */
  concurrency: number;
  /** A run holding its lock longer than this is presumed dead and may be taken by another worker. */
  lockLifetimeMs: number;
  handler(data: Data, deps: JobDeps): Promise<void>;
}

export function defineJob<Data = undefined>(def: JobDefinition<Data>): JobDefinition<Data> {
  return def;
}
