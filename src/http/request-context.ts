import type { EntityManager } from '@mikro-orm/postgresql';
import { SITE_FILTER } from '../entities/site-scope.js';
import type { Logger } from '../logger.js';
import type { AppDeps, GraphQLContext } from '../schema/context.js';
import type { RequestScope } from '../services/auth/actor.js';
import type { UserView } from '../services/users/user-view.js';

/**
 * The context of one GraphQL operation (HTTP request or graphql-ws operation). Its EntityManager fork
 * and its child logger are made on first use: a read answered from plain statements (or from the
 * authenticated user, like `me`) needs neither, and both cost on every request.
 */
export function requestContext(opts: {
  scope: RequestScope;
  user: UserView | null;
  requestId: string;
  requestedSiteId: string | null;
  deps: AppDeps;
}): GraphQLContext {
  const { deps, scope } = opts;
  let em: EntityManager | undefined;
  let log: Logger | undefined;
  return {
    ...scope,
    user: opts.user,
    requestId: opts.requestId,
    requestedSiteId: opts.requestedSiteId,
    deps,
    get em() {
      if (!em) {
        em = deps.orm.em.fork();
        // Every site-owned read through this fork sees the caller's site only (none: no row).
        em.setFilterParams(SITE_FILTER, { siteId: scope.siteId });
      }
      return em;
    },
    get log() {
      return (log ??= deps.logger.child({ requestId: opts.requestId }));
    },
  };
}
