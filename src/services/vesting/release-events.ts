import type { EntityManager } from '@mikro-orm/postgresql';
import type { EventBus } from '../events/pg-pubsub.js';
import { filterMap } from '../events/filter-map.js';
import { requireSiteId } from '../auth/actor.js';
import type { Scope } from '../scope.js';
import type { ReleaseView } from './allocation-view.js';
import { findReleases } from './list-releases.js';

/** Topic of release changes, keyed by site; one event names up to IDS_PER_EVENT releases. */
export const RELEASES_CHANGED = 'RELEASES_CHANGED';
/** 150 ids keep a NOTIFY payload well under PostgreSQL's 8000-byte limit. */
const IDS_PER_EVENT = 150;

interface ReleasesChanged {
  releaseIds: string[];
}

/** Announces changed releases of one site when `tx` commits (a few events for a large batch, not one per release). */
export async function publishReleasesChanged(tx: EntityManager, events: EventBus, siteId: string, releaseIds: readonly string[]): Promise<void> {
  for (let i = 0; i < releaseIds.length; i += IDS_PER_EVENT) {
    await events.publishIn(tx, RELEASES_CHANGED, { releaseIds: releaseIds.slice(i, i + IDS_PER_EVENT) } satisfies ReleasesChanged, siteId);
  }
}

/**
 * Every changed release of the caller's site, one subscription event per release: each event re-reads
 * its releases (one statement per event, not per release) as they are when delivered.
 */
export function releaseUpdates(scope: Scope): AsyncIterable<ReleaseView> {
  const siteId = requireSiteId(scope);
  const pending: ReleaseView[] = [];
  const source = filterMap(scope.deps.events.subscribe(RELEASES_CHANGED, siteId), async (event) => {
    pending.push(...(await findReleases(scope, (event as ReleasesChanged).releaseIds)));
    return pending.length ? true : undefined;
  });
  // One event names many releases: hand them out one by one.
  const iterator: AsyncIterableIterator<ReleaseView> = {
    async next() {
      while (!pending.length) {
        const r = await source.next();
        if (r.done) return { value: undefined, done: true };
      }
      return { value: pending.shift()!, done: false };
    },
    return: async () => {
      await source.return?.();
      return { value: undefined, done: true };
    },
    throw: async (e?: unknown) => {
      await source.return?.();
      throw e;
    },
    [Symbol.asyncIterator]: () => iterator,
  };
  return iterator;
}
