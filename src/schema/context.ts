import type { Deps } from '../deps.js';
import type { Logger } from '../logger.js';
import type { JobStatsSource } from '../services/jobs/job-stats.js';
import type { Scope } from '../services/scope.js';
import type { UserView } from '../services/users/user-view.js';

/** What the API process has beyond the shared dependencies. */
export interface AppDeps extends Deps {
  jobs: JobStatsSource;
}

/**
 * One per request (or per graphql-ws operation): a Scope (its own EntityManager fork, scoped to the
 * caller's site) plus what only the transport knows.
 */
export interface GraphQLContext extends Scope {
  log: Logger;
  requestId: string;
  /** The caller's user row as authentication read it (null when anonymous): `me` needs no query. */
  user: UserView | null;
  /** Raw x-site-id header, for login to tell accounts apart; authorization never reads it. */
  requestedSiteId: string | null;
  /** The Idempotency-Key header (HTTP only), for createOrder. */
  idempotencyKey: string | null;
  deps: AppDeps;
}
