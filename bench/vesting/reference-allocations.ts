/**
 * What the reference servers do for the vesting bench's list row (bench/vesting.ts), through a `pg` Pool,
 * with no ORM, no GraphQL-to-SQL layer and no authentication (the caller's site id is given):
 *
 * - the page: a site's allocations newest first over (created_at, id), one statement, with the sums of
 *   each allocation's releases by state in a lateral subquery (as Vestline's ALLOCATION_FROM does);
 * - the releases of the page's allocations: one second statement for the whole page, in schedule order,
 *   cancelled releases left out (as Vestline's loadAllocationReleases does). Plain Apollo batches it with
 *   a DataLoader per request (the `Allocation.releases` field resolver); the bare server calls it once.
 *
 * Amounts are base units in the database and shown in the asset's decimals, which the page row brings
 * along (the releases query needs no join for them).
 */
import DataLoader from 'dataloader';
import type pg from 'pg';
import { encodeCursor, fromBaseUnits, MAX_PAGE_SIZE } from '../reference-queries.js';

/** The query every server answers for the list row (sent unchanged, the same bytes, to all three). */
export const ALLOCATIONS_QUERY =
  'query { allocations(first: 50) { edges { node { id status totalAmount claimableAmount lockedAmount startAt releases { index amount unlockAt status } } } } }';

export const PAGE_SQL = `select al.id, al.status, al.total_amount, s.claimable, s.locked, al.start_at, al.created_at, a.decimals
  from allocation al join asset a on a.id = al.asset_id
  left join lateral (
    select coalesce(sum(r.amount) filter (where r.status in ('UNLOCKED', 'PROCESSING')), 0)::text as claimable,
           coalesce(sum(r.amount) filter (where r.status = 'LOCKED'), 0)::text as locked
    from vesting_release r where r.allocation_id = al.id and r.site_id = al.site_id
  ) s on true
  where al.site_id = $1 order by al.created_at desc, al.id desc limit $2`;

export const RELEASES_SQL = `select r.allocation_id, r.index, r.amount, r.unlock_at, r.status from vesting_release r
  where r.allocation_id = any($1::uuid[]) and r.site_id = $2 and r.status <> 'CANCELLED' order by r.allocation_id, r.index`;

interface PageRow {
  id: string;
  status: string;
  total_amount: string;
  claimable: string;
  locked: string;
  start_at: Date;
  created_at: Date;
  decimals: number;
}

export interface ReleaseRow {
  allocation_id: string;
  index: number;
  amount: string;
  unlock_at: Date;
  status: string;
}

/** An allocation of the page, in the selection's field order; `decimals` rides along for the releases (not in the answer of the bare server). */
export interface AllocationNode {
  id: string;
  status: string;
  totalAmount: string;
  claimableAmount: string;
  lockedAmount: string;
  startAt: Date;
}

export interface ReleaseNode {
  index: number;
  amount: string;
  unlockAt: Date;
  status: string;
}

export interface AllocationPageItem {
  node: AllocationNode;
  decimals: number;
  cursor: string;
}

export async function readAllocationPage(pool: pg.Pool, siteId: string, first: number): Promise<{ items: AllocationPageItem[]; hasNextPage: boolean }> {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw new Error(`first must be between 1 and ${MAX_PAGE_SIZE}`);
  const { rows } = await pool.query<PageRow>(PAGE_SQL, [siteId, first + 1]);
  const items = rows.slice(0, first).map((r) => ({
    node: {
      id: r.id,
      status: r.status,
      totalAmount: fromBaseUnits(r.total_amount, r.decimals),
      claimableAmount: fromBaseUnits(r.claimable, r.decimals),
      lockedAmount: fromBaseUnits(r.locked, r.decimals),
      startAt: r.start_at,
    },
    decimals: r.decimals,
    cursor: encodeCursor(r.created_at, r.id),
  }));
  return { items, hasNextPage: rows.length > first };
}

/** The releases of many allocations in one statement, grouped by allocation in the order asked. */
export async function readReleases(pool: pg.Pool, siteId: string, allocationIds: readonly string[]): Promise<ReleaseRow[][]> {
  const { rows } = await pool.query<ReleaseRow>(RELEASES_SQL, [allocationIds, siteId]);
  const by = new Map<string, ReleaseRow[]>(allocationIds.map((id) => [id, []]));
  for (const r of rows) by.get(r.allocation_id)?.push(r);
  return allocationIds.map((id) => by.get(id) ?? []);
}

export const releaseNode = (r: ReleaseRow, decimals: number): ReleaseNode => ({ index: r.index, amount: fromBaseUnits(r.amount, decimals), unlockAt: r.unlock_at, status: r.status });

/** Plain Apollo's per-request batch: every `Allocation.releases` of one operation in one statement. */
export function releasesLoader(pool: pg.Pool, siteId: string): DataLoader<string, ReleaseRow[]> {
  return new DataLoader((ids: readonly string[]) => readReleases(pool, siteId, ids));
}

/** The bare server's answer: the page, then its releases, as one object in the selection's order. */
export async function readAllocationsWithReleases(pool: pg.Pool, siteId: string, first: number) {
  const page = await readAllocationPage(pool, siteId, first);
  const releases = await readReleases(
    pool,
    siteId,
    page.items.map((i) => i.node.id),
  );
  return {
    edges: page.items.map((i, n) => ({ node: { ...i.node, releases: releases[n]!.map((r) => releaseNode(r, i.decimals)) } })),
  };
}
