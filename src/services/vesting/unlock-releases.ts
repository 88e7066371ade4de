import type { Deps } from '../../deps.js';
import { publishReleasesChanged } from './release-events.js';
import { emitEvents } from '../notifications/emit.js';
import { RELEASE_EVENT_COLUMNS, releaseData, type ReleaseEventRow } from '../notifications/payloads.js';

const BATCH = 5000;

/**
 * LOCKED -> UNLOCKED for every release due by `now` (domain.md, flow step 5), in set-based batches:
 * each batch is one UPDATE over up to 5000 due rows taken with SKIP LOCKED, so two workers running
 * this at once split the backlog instead of both unlocking (or waiting on) the same rows, and each
 * batch's events go out with its commit. Returns how many releases it unlocked; stops at `deadline`.
 */
export async function unlockDueReleases(deps: Pick<Deps, 'orm' | 'events'>, now: Date, deadline: Date): Promise<number> {
  let unlocked = 0;
  for (;;) {
    const n = await deps.orm.em.fork().transactional(async (tx) => {
      const rows = await tx.execute<(ReleaseEventRow & { site_id: string })[]>(
        // all-sites: the unlock job serves every site; events are published per site below.
        `with due as (
           select id from vesting_release where status = 'LOCKED' and unlock_at <= ? order by unlock_at, id limit ? for update skip locked
         ),
         unlocked as (
           update vesting_release r set status = 'UNLOCKED', updated_at = now() from due where r.id = due.id and r.status = 'LOCKED'
           returning r.*
         )
         select r.site_id, ${RELEASE_EVENT_COLUMNS} from unlocked r join allocation al on al.id = r.allocation_id join asset d on d.id = al.asset_id`,
        [now, BATCH],
      );
      // Merchant notifications, in the same transaction (outbox), a statement per 1000 events.
      for (let i = 0; i < rows.length; i += 1000) {
        await emitEvents(tx, rows.slice(i, i + 1000).map((r) => ({ siteId: r.site_id, type: 'release.unlocked' as const, data: releaseData(r) })));
      }
      const bySite = new Map<string, string[]>();
      for (const r of rows) {
        const ids = bySite.get(r.site_id);
        if (ids) ids.push(r.id);
        else bySite.set(r.site_id, [r.id]);
      }
      for (const [siteId, ids] of bySite) await publishReleasesChanged(tx, deps.events, siteId, ids);
      return rows.length;
    });
    unlocked += n;
    if (n < BATCH || new Date() >= deadline) return unlocked;
  }
}
