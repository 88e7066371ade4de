/**
 * The vesting bench's rows. Every site is opened for sale through Vestline's own API (token price, an
 * Ethereum USDT PAYMENT asset and SALE DISTRIBUTION asset with 18 decimals, a vesting plan, a SITE_ADMIN,
 * a CUSTOMER, a few real wallets with sealed keys); the bulk goes in with SQL afterwards:
 *
 * - schedule sites (two, the same terms: Vestline's side and the reference's): 10,000 PAID orders each,
 *   identical amounts by number; the plan is 4% at TGE, no cliff, 47 periods of 30 days (48 releases),
 *   and the site's TGE date lies in the future, so no release of theirs is due (the unlock row counts
 *   every due release of the database);
 * - the unlock site: allocations whose first releases are due (re-seeded before every unlock run);
 * - the list site: allocations with their releases in every state, as years of vesting leave them.
 *
 * No bulk wallet goes in (orders name the site's real wallets), so the start-up check of any Vestline
 * process (verify-master-keys.ts opens stored wallets) passes at any time.
 */
import pg from 'pg';
import { gql } from '../orders/seed.js';

const PASSWORD = 'bench-vesting-password-123';
const ETH_USDT = '0xdAC17F958D2ee523a2206206994597C13D831ec7';
const ETH_SALE_TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
export const ETH_PAYOUT = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
/** Price 0.05 per token: an order's tokens are its USDT x 20. */
const TOKEN_PRICE = '0.05';
const REAL_WALLETS = 5;

export interface PlanTerms {
  tgeBps: number;
  cliffDays: number;
  periods: number;
  periodDays: number;
}

/** 4% at TGE, no cliff, 47 monthly (30-day) unlocks: 48 releases for any total of 47 base units or more. */
export const SCHEDULE_TERMS: PlanTerms = { tgeBps: 400, cliffDays: 0, periods: 47, periodDays: 30 };
/** 10% at TGE, 90-day cliff, 12 monthly unlocks: 13 releases (the terms of the docs' worked example). */
export const STANDARD_TERMS: PlanTerms = { tgeBps: 1000, cliffDays: 90, periods: 12, periodDays: 30 };

export interface SaleSite {
  siteId: string;
  slug: string;
  planId: string;
  payAssetId: string;
  distAssetId: string;
  adminId: string;
  adminToken: string;
  customerId: string;
}

const LOGIN = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token user { id } } }';

async function login(url: string, email: string, password: string): Promise<{ token: string; id: string }> {
  const { login: l } = await gql<{ login: { token: string; user: { id: string } } }>(url, LOGIN, { e: email, p: password });
  return { token: l.token, id: l.user.id };
}

/** A site opened for sale through the API, with a plan of `terms` and, when given, a TGE date. */
export async function openSale(url: string, superToken: string, slug: string, terms: PlanTerms, tgeAt: Date | null): Promise<SaleSite> {
  const { createSite } = await gql<{ createSite: { id: string } }>(url, 'mutation($s: String!, $n: String!) { createSite(slug: $s, name: $n) { id } }', { s: slug, n: slug }, superToken);
  const siteId = createSite.id;
  const user = async (role: string) => {
    const email = `${role.toLowerCase()}@${slug}.test`;
    await gql(url, 'mutation($i: CreateUserInput!) { createUser(input: $i) { id } }', { i: { email, password: PASSWORD, role, siteId } }, superToken);
    return login(url, email, PASSWORD);
  };
  const admin = await user('SITE_ADMIN');
  const customer = await user('CUSTOMER');
  await gql(
    url,
    'mutation($i: SiteSettingsInput!) { updateSiteSettings(input: $i) { id } }',
    { i: { tokenPrice: TOKEN_PRICE, minOrderAmount: '10', maxOrderAmount: '100000', ...(tgeAt ? { tgeAt: tgeAt.toISOString() } : {}) } },
    admin.token,
  );
  const asset = 'mutation($i: AssetInput!) { upsertAsset(input: $i) { id } }';
  const pay = await gql<{ upsertAsset: { id: string } }>(
    url,
    asset,
    { i: { network: 'ETHEREUM', symbol: 'USDT', decimals: 6, contractAddress: ETH_USDT, purpose: 'PAYMENT', confirmationsRequired: 12, active: true } },
    admin.token,
  );
  const dist = await gql<{ upsertAsset: { id: string } }>(
    url,
    asset,
    { i: { network: 'ETHEREUM', symbol: 'SALE', decimals: 18, contractAddress: ETH_SALE_TOKEN, purpose: 'DISTRIBUTION', custodyAssetId: 'SALE_ETH', confirmationsRequired: 12, active: true } },
    admin.token,
  );
  const plan = await gql<{ createVestingPlan: { id: string } }>(url, 'mutation($i: VestingPlanInput!) { createVestingPlan(input: $i) { id } }', { i: { name: 'bench', ...terms } }, admin.token);
  await gql(url, 'mutation($c: Int!) { generateWallets(network: ETHEREUM, count: $c) { id } }', { c: REAL_WALLETS }, admin.token);
  return {
    siteId,
    slug,
    planId: plan.createVestingPlan.id,
    payAssetId: pay.upsertAsset.id,
    distAssetId: dist.upsertAsset.id,
    adminId: admin.id,
    adminToken: admin.token,
    customerId: customer.id,
  };
}

/**
 * `count` PAID orders in a site, numbered 1..count (reference `VL-V<number>`), the same amounts for the
 * same number in every site: USDT 10..5009 with odd fractions, tokens at 0.05 (USDT x 20, 18 decimals),
 * so the schedule's rounding differs from order to order. Round robin over the site's real wallets.
 */
export async function bulkPaidOrders(client: pg.Client, s: SaleSite, count: number): Promise<void> {
  await client.query(
    `with w as (select array_agg(id order by id) as ids, array_agg(address order by id) as addrs, count(*)::int as n from wallet where site_id = $1),
     g as (
       select i, ((i % 5000) + 10)::numeric * 1000000 + (i % 7) * 1000 + (i % 997) as expected,
         date_trunc('milliseconds', now()) - interval '1 hour' - (i / 2) * interval '1 second' as at
       from generate_series(1, $6::int) as i
     )
     insert into payment_order (id, site_id, reference, customer_id, status, network, asset_id, wallet_id, pay_to_address,
       amount_expected, amount_received, amount_confirmed, confirmations, confirmations_required, token_price, token_amount,
       distribution_asset_id, payout_address, plan_id, expires_at, paid_at, idempotency_key, idempotency_hash, created_at, updated_at)
     select gen_random_uuid(), $1, 'VL-V' || lpad(g.i::text, 11, '0'), $2, 'PAID', 'ETHEREUM', $3,
       w.ids[1 + g.i % w.n], w.addrs[1 + g.i % w.n],
       g.expected, g.expected, g.expected, 12, 12, $7::numeric, g.expected * 20000000000000, $4, $8, $5,
       g.at + interval '30 minutes', g.at + interval '7 minutes', null, null, g.at, g.at + interval '7 minutes'
     from g cross join w`,
    [s.siteId, s.customerId, s.payAssetId, s.distAssetId, s.planId, count, TOKEN_PRICE, ETH_PAYOUT],
  );
}

/**
 * The unlock site's rows, after removing what an earlier run left: `allocations` allocations on the
 * standard terms (13 releases), each started 375 days ago (less a few seconds per allocation), so
 * releases 0..9 are due (TGE at the start, then days 120..360) and 10..12 are not (days 390..450):
 * 10 due LOCKED releases per allocation. Returns the due and the not-due counts.
 */
export async function reseedUnlock(client: pg.Client, s: SaleSite, allocations: number, now: Date): Promise<{ due: number; notDue: number }> {
  // What the last run wrote for the site's releases, where the schema has it (merchant notifications'
  // outbox: one event per unlocked release), so every run starts from the same tables.
  const outbox = ['webhook_delivery', 'notification_event'];
  const present = (await client.query<{ t: string }>('select t from unnest($1::text[]) as t where to_regclass(t) is not null', [outbox])).rows.map((r) => r.t);
  for (const t of present) await client.query(`delete from ${t} where site_id = $1`, [s.siteId]);
  await client.query('delete from vesting_release where site_id = $1', [s.siteId]);
  await client.query('delete from allocation where site_id = $1', [s.siteId]);
  // The deleted rows (and the dead versions the last run's updates left) must not slow the next run.
  await client.query(`vacuum ${['vesting_release', 'allocation', ...present].join(', ')}`);
  await insertAllocations(client, s, allocations, {
    start: `date_trunc('milliseconds', $5::timestamptz) - interval '375 days' - (i % 3600) * interval '1 second'`,
    status: `'ACTIVE'`,
    now,
  });
  await client.query(
    `with x as (
       select gen_random_uuid() as rid, al.id, al.site_id, al.start_at, al.total_amount as t, k,
         div(al.total_amount * al.tge_bps, 10000) as tge
       from allocation al cross join generate_series(0, 12) as k where al.site_id = $1
     )
     insert into vesting_release (id, site_id, allocation_id, index, amount, unlock_at, status, external_tx_id, created_at, updated_at)
     select rid, site_id, id, k,
       case when k = 0 then tge when k = 12 then t - tge - 11 * div(t - tge, 12) else div(t - tge, 12) end,
       start_at + case when k = 0 then interval '0' else (90 + k * 30) * interval '1 day' end,
       'LOCKED', 'vl-rel-' || replace(rid::text, '-', ''), start_at, start_at
     from x`,
    [s.siteId],
  );
  await client.query('analyze vesting_release, allocation');
  const { rows } = await client.query<{ due: number; not_due: number }>(
    `select count(*) filter (where unlock_at <= $2)::int as due, count(*) filter (where unlock_at > $2)::int as not_due from vesting_release where site_id = $1`,
    [s.siteId, now],
  );
  return { due: rows[0]!.due, notDue: rows[0]!.not_due };
}

async function insertAllocations(client: pg.Client, s: SaleSite, count: number, o: { start: string; status: string; now: Date; created?: string }): Promise<void> {
  await client.query(
    `insert into allocation (id, site_id, status, beneficiary_id, order_id, payout_network, payout_address, asset_id, total_amount, released_amount,
       plan_id, tge_bps, cliff_days, periods, period_days, start_at, created_at, updated_at)
     select gen_random_uuid(), $1, ${o.status}::allocation_status, $2, null, 'ETHEREUM', $3, $4,
       ((i % 5000) + 10)::numeric * 20000000000000000000 + i::numeric * 1234567, 0, $6, p.tge_bps, p.cliff_days, p.periods, p.period_days,
       ${o.start}, ${o.created ?? `date_trunc('milliseconds', $5::timestamptz) - interval '1 day' - (i / 2) * interval '1 second'`}, $5::timestamptz
     from generate_series(1, $7::int) as i cross join vesting_plan p where p.id = $6`,
    [s.siteId, s.customerId, ETH_PAYOUT, s.distAssetId, o.now, s.planId, count],
  );
}

/**
 * The list site: `count` allocations on the standard terms (13 releases each), two per creation
 * timestamp (the id tie-break shows), started 0..499 days ago, so the first page mixes every state:
 * - ACTIVE (most): due releases RELEASED, UNLOCKED, PROCESSING or FAILED, future ones LOCKED;
 * - COMPLETED (started more than 450 days ago, every release due): all RELEASED;
 * - REVOKED (every 20th): due releases RELEASED, the rest CANCELLED (never shown by the API).
 * released_amount is the sum of its RELEASED releases.
 */
export async function seedList(client: pg.Client, s: SaleSite, count: number, now: Date): Promise<{ allocations: number; releases: number; shown: number }> {
  await insertAllocations(client, s, count, {
    start: `date_trunc('milliseconds', $5::timestamptz) - ((i * 37) % 500) * interval '1 day' - (i % 86400) * interval '1 second'`,
    status: `case when i % 20 = 0 then 'REVOKED' when (i * 37) % 500 > 451 then 'COMPLETED' else 'ACTIVE' end`,
    now,
  });
  await client.query(
    `with x as (
       select gen_random_uuid() as rid, al.id, al.site_id, al.status as al_status, al.start_at, al.total_amount as t, k,
         div(al.total_amount * al.tge_bps, 10000) as tge,
         al.start_at + case when k = 0 then interval '0' else (90 + k * 30) * interval '1 day' end as at,
         (abs(hashtext(al.id::text)::bigint) + k) % 10 as roll
       from allocation al cross join generate_series(0, 12) as k where al.site_id = $1
     ),
     y as (
       select x.*, case
           when at > $2 then (case when al_status = 'REVOKED' then 'CANCELLED' else 'LOCKED' end)
           when al_status <> 'ACTIVE' then 'RELEASED'
           when roll < 6 then 'RELEASED' when roll < 8 then 'UNLOCKED' when roll = 8 then 'PROCESSING' else 'FAILED' end as st
       from x
     )
     insert into vesting_release (id, site_id, allocation_id, index, amount, unlock_at, status, external_tx_id, custody_tx_id, tx_hash, failure_reason, released_at, created_at, updated_at)
     select rid, site_id, id, k,
       case when k = 0 then tge when k = 12 then t - tge - 11 * div(t - tge, 12) else div(t - tge, 12) end,
       at, st::release_status, 'vl-rel-' || replace(rid::text, '-', ''),
       case when st in ('RELEASED', 'PROCESSING', 'FAILED') then 'fb-' || md5(rid::text) end,
       case when st = 'RELEASED' then '0x' || md5(rid::text) || md5(id::text) end,
       case when st = 'FAILED' then 'custody: insufficient funds' end,
       case when st = 'RELEASED' then at + interval '1 hour' end,
       start_at, greatest(start_at, least(at, $2))
     from y`,
    [s.siteId, now],
  );
  await client.query(
    `update allocation al set released_amount = coalesce((select sum(amount) from vesting_release r where r.allocation_id = al.id and r.status = 'RELEASED'), 0)
     where al.site_id = $1`,
    [s.siteId],
  );
  const { rows } = await client.query<{ allocations: number; releases: number; shown: number }>(
    `select (select count(*)::int from allocation where site_id = $1) as allocations,
       (select count(*)::int from vesting_release where site_id = $1) as releases,
       (select count(*)::int from vesting_release where site_id = $1 and status <> 'CANCELLED') as shown`,
    [s.siteId],
  );
  return rows[0]!;
}
