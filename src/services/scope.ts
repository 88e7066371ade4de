import type { EntityManager } from '@mikro-orm/postgresql';
import type { Deps } from '../deps.js';
import type { RequestScope } from './auth/actor.js';

/**
 * What every use case takes first: its EntityManager (a per-request fork, or a transaction), who is
 * calling and in which site, and the process's dependencies. Use cases take `(scope, input)`.
 */
export interface Scope extends RequestScope {
  em: EntityManager;
  deps: Deps;
}
