import type { RunningApp } from '../../src/app.js';
import { SITE_FILTER } from '../../src/entities/site-scope.js';
import type { Scope } from '../../src/services/scope.js';

/** A use-case scope inside one site, acting as the system (no actor): what a job would pass. */
export function siteScope(app: Pick<RunningApp, 'deps'>, siteId: string): Scope {
  const em = app.deps.orm.em.fork();
  em.setFilterParams(SITE_FILTER, { siteId });
  return { em, deps: app.deps, actor: null, siteId, ip: null };
}
