import type { ReleaseStatus } from '../../entities/enums.js';
import { requireSiteId } from '../auth/actor.js';
import { andAll, type SqlFragment } from '../db/transition.js';
import { perRequestLoader } from '../per-request-loader.js';
import { isUuid } from '../ids.js';
import { idIs, keysetRows, oneOf, type Page } from '../pagination.js';
import type { Scope } from '../scope.js';
import { RELEASE_COLUMNS, RELEASE_FROM, releaseView, visibleAllocations, type ReleaseRow, type ReleaseView } from './allocation-view.js';

export interface ReleaseQuery {
  status?: ReleaseStatus[] | null;
  allocationId?: string | null;
  unlockBefore?: Date | null;
  first: number;
  after?: string | null;
  withTotal?: boolean;
}

/** Cancelled releases (of revoked allocations) are history, not part of any schedule shown. */
const NOT_CANCELLED: SqlFragment = { sql: "r.status <> 'CANCELLED'" };

/** The site's releases in unlock order (a customer's own only), keyset-paginated. */
export async function listReleases(scope: Scope, q: ReleaseQuery): Promise<Page<ReleaseView>> {
  const where: SqlFragment[] = [NOT_CANCELLED, ...visibleAllocations(scope.actor)];
  if (q.status?.length) where.push(oneOf('r.status', q.status));
  if (q.allocationId) where.push(idIs('r.allocation_id', q.allocationId));
  if (q.unlockBefore) where.push({ sql: 'r.unlock_at < ?', params: [q.unlockBefore] });
  const page = await keysetRows<ReleaseRow>(scope.deps.reads, {
    from: RELEASE_FROM,
    alias: 'r',
    columns: RELEASE_COLUMNS,
    siteId: requireSiteId(scope),
    timeColumn: 'unlock_at',
    ascending: true,
    where,
    first: q.first,
    after: q.after,
    withTotal: q.withTotal,
  });
  return { ...page, items: page.items.map(releaseView) };
}

/** Releases by id (for events), those the caller may see. */
export async function findReleases(scope: Scope, ids: readonly string[]): Promise<ReleaseView[]> {
  const visible = andAll(visibleAllocations(scope.actor));
  const rows = await scope.deps.reads.rows<ReleaseRow>(
    `select ${RELEASE_COLUMNS} from ${RELEASE_FROM} where r.id = any(?::uuid[]) and r.site_id = ? and ${NOT_CANCELLED.sql}${visible.sql}
     order by r.unlock_at, r.id`,
    [ids.filter(isUuid), requireSiteId(scope), ...visible.params],
  );
  return rows.map(releaseView);
}

/** A release as the allocation page loads it: no join, no decimals (the page has its allocation's asset). */
export type AllocationReleaseRow = Omit<ReleaseRow, 'decimals'>;

const RELEASE_ONLY_COLUMNS = RELEASE_COLUMNS.replace('a.decimals, ', '');

/**
 * An allocation's releases in schedule order, batched with every other allocation of the request: a
 * page of 50 allocations with their releases costs one query for all the releases.
 */
export const loadAllocationReleases = perRequestLoader(async (scope, ids: readonly string[]) => {
  // The caller read the allocations (and may see them): the releases need no join.
  const rows = await scope.deps.reads.rows<AllocationReleaseRow>(
    `select ${RELEASE_ONLY_COLUMNS} from vesting_release r
     where r.allocation_id = any(?::uuid[]) and r.site_id = ? and ${NOT_CANCELLED.sql} order by r.allocation_id, r.index`,
    [ids.filter(isUuid), requireSiteId(scope)],
  );
  const byAllocation = new Map<string, AllocationReleaseRow[]>(ids.map((id) => [id, []]));
  for (const r of rows) byAllocation.get(r.allocationId)?.push(r);
  return ids.map((id) => byAllocation.get(id) ?? []);
});
