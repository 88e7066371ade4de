/**
 * Bulk rows for bench:payouts: `allocations` ACTIVE allocations of the site's SALE asset (18 decimals),
 * each with `perAllocation` releases that sum exactly to its total_amount (10 % at TGE, the rest in equal
 * parts, the remainder on the last one), beneficiary the site's CUSTOMER, no order. The releases are due
 * and in `status` (UNLOCKED, as the unlock job leaves them, or PROCESSING, as releaseBatch leaves them),
 * with external_tx_id as the app derives it ('vl-rel-' + the id without dashes).
 */
import pg from 'pg';
import { ETH_PAYOUT, type Site } from './common.js';

export async function seedReleases(client: pg.Client, site: Site, allocations: number, perAllocation: number, status: 'UNLOCKED' | 'PROCESSING'): Promise<{ id: string; externalTxId: string; amount: string }[]> {
  await client.query(
    `insert into allocation (id, site_id, status, beneficiary_id, order_id, payout_network, payout_address, asset_id, total_amount, released_amount,
       plan_id, tge_bps, cliff_days, periods, period_days, start_at, created_at, updated_at)
     select gen_random_uuid(), $1, 'ACTIVE', $2, null, 'ETHEREUM', $3, $4,
       ((i % 5000) + 10)::numeric * 20000000000000000000 + i::numeric * 1234567 + 7, 0, $5, 1000, 0, $6 - 1, 30,
       now() - interval '400 days', now() - interval '400 days' + i * interval '1 millisecond', now()
     from generate_series(1, $7::int) as i`,
    [site.siteId, site.customer.id, ETH_PAYOUT, site.distAssetId, site.planId, perAllocation, allocations],
  );
  const { rows } = await client.query<{ id: string; external_tx_id: string; amount: string }>(
    `with x as (
       select gen_random_uuid() as rid, al.id, al.site_id, al.start_at, al.total_amount as t, k, div(al.total_amount * al.tge_bps, 10000) as tge
       from allocation al cross join generate_series(0, $2::int - 1) as k where al.site_id = $1
     )
     insert into vesting_release (id, site_id, allocation_id, index, amount, unlock_at, status, external_tx_id, processing_since, created_at, updated_at)
     select rid, site_id, id, k,
       case when k = 0 then tge when k = $2 - 1 then t - tge - ($2 - 2) * div(t - tge, $2 - 1) else div(t - tge, $2 - 1) end,
       start_at + k * interval '30 days', $3::release_status, 'vl-rel-' || replace(rid::text, '-', ''),
       case when $3 = 'PROCESSING' then now() end, start_at, now()
     from x
     returning id, external_tx_id, amount::text`,
    [site.siteId, perAllocation, status],
  );
  await client.query('analyze allocation, vesting_release');
  return rows.map((r) => ({ id: r.id, externalTxId: r.external_tx_id, amount: r.amount }));
}

/** The money check of a site: releases RELEASED, their sum, the allocations' released and total sums, allocations COMPLETED. */
export async function moneyCheck(client: pg.Client, siteId: string) {
  const { rows } = await client.query<{ releases: number; released: number; sum_released: string; sum_alloc_released: string; sum_total: string; allocations: number; completed: number }>(
    `select (select count(*)::int from vesting_release where site_id = $1) as releases,
       (select count(*)::int from vesting_release where site_id = $1 and status = 'RELEASED') as released,
       (select coalesce(sum(amount), 0)::text from vesting_release where site_id = $1 and status = 'RELEASED') as sum_released,
       (select coalesce(sum(released_amount), 0)::text from allocation where site_id = $1) as sum_alloc_released,
       (select coalesce(sum(total_amount), 0)::text from allocation where site_id = $1) as sum_total,
       (select count(*)::int from allocation where site_id = $1) as allocations,
       (select count(*)::int from allocation where site_id = $1 and status = 'COMPLETED') as completed`,
    [siteId],
  );
  return rows[0]!;
}
