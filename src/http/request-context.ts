import type { EntityManager } from '@mikro-orm/postgresql';
import { SITE_FILTER } from '../entities/site-scope.js';
import type { Logger } from '../logger.js';
import type { AppDeps, GraphQLContext } from '../schema/context.js';
import type { Actor, RequestScope } from '../services/auth/actor.js';
import type { UserView } from '../services/users/user-view.js';

/** What a context makes on first use; shared by Apollo's shallow copies of the context. */
interface Lazy {
  em?: EntityManager;
  log?: Logger;
}

/**
 * The context of one GraphQL operation (HTTP request or graphql-ws operation). Its EntityManager fork
 * and its child logger are made on first use: a read answered from plain statements (or from the
 * authenticated user, like `me`) needs neither, and both cost on every request. The getters live on
 * the prototype, because Apollo copies the context's own properties per operation (a copy would call
 * own getters and make both every time).
 */
class RequestContext implements GraphQLContext {
  readonly actor: Actor | null;
  readonly siteId: string | null;
  readonly ip: string | null;
  readonly lazy: Lazy = {};

  constructor(
    scope: RequestScope,
    readonly user: UserView | null,
    readonly requestId: string,
    readonly requestedSiteId: string | null,
    readonly idempotencyKey: string | null,
    readonly deps: AppDeps,
  ) {
    this.actor = scope.actor;
    this.siteId = scope.siteId;
    this.ip = scope.ip;
  }

  get em(): EntityManager {
    if (!this.lazy.em) {
      this.lazy.em = this.deps.orm.em.fork();
      // Every site-owned read through this fork sees the caller's site only (none: no row).
      this.lazy.em.setFilterParams(SITE_FILTER, { siteId: this.siteId });
    }
    return this.lazy.em;
  }

  get log(): Logger {
    return (this.lazy.log ??= this.deps.logger.child({ requestId: this.requestId }));
  }
}

export function requestContext(opts: {
  scope: RequestScope;
  user: UserView | null;
  requestId: string;
  requestedSiteId: string | null;
  idempotencyKey?: string | null;
  deps: AppDeps;
}): GraphQLContext {
  return new RequestContext(opts.scope, opts.user, opts.requestId, opts.requestedSiteId, opts.idempotencyKey ?? null, opts.deps);
}
