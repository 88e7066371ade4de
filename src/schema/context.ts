import type { EntityManager } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import type { RequestScope } from '../services/auth/actor.js';
import type { Keyring } from '../services/wallet-keys/master-keys.js';
import type { JobStatsSource } from '../services/jobs/job-stats.js';

/** Long-lived things the resolvers may reach; built once per process. */
export interface AppDeps {
  config: Config;
  jobs: JobStatsSource;
  /** Wallet key-encryption keys; only services/custody uses them. */
  keyring: Keyring;
}

/** One per request (or per graphql-ws operation): its own EntityManager fork, scoped to the caller's site. */
export interface GraphQLContext extends RequestScope {
  em: EntityManager;
  log: Logger;
  requestId: string;
  /** Raw x-site-id header, for login to tell accounts apart; authorization never reads it. */
  requestedSiteId: string | null;
  deps: AppDeps;
}
