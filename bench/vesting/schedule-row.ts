/**
 * Row 1 of the vesting bench: schedules generated and stored, 10,000 allocations x 48 releases.
 *
 * - pure: `vestingSchedule` alone, in this process, over the 10,000 orders' totals (no database);
 * - Vestline: `createAllocationForOrder` for each of 10,000 PAID orders of one site, one transaction per
 *   order as in production (the PAID transition calls it inside its own transaction): read the order,
 *   insert the allocation, cut the schedule, insert its 48 releases in one multi-row INSERT, check the
 *   stored sum in SQL, queue the audit entry (flushed at commit);
 * - reference: the same 10,000 orders of a second site, the same function and the same ids, stored in
 *   bulk: one SELECT of the orders, then in one transaction one INSERT ... SELECT FROM unnest(...) each for
 *   the allocations, the 480,000 releases and the audit entries, and one set-based sum check.
 *
 * Both sides write the same rows (checked: counts, every allocation's releases add up to its total, and
 * the two sites' schedules are identical order by order).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';
import type { Deps } from '../../src/deps.js';
import { sanitizeDetails } from '../../src/services/audit/sanitize-details.js';
import { fromBaseUnits } from '../../src/services/money/amount.js';
import { createAllocationForOrder, externalTxIdOf } from '../../src/services/vesting/create-allocation.js';
import { vestingSchedule, type VestingTerms } from '../../src/services/vesting/schedule.js';
import type { SaleSite } from './seed.js';

export interface ScheduleSide {
  label: string;
  seconds: number;
  allocations: number;
  releases: number;
  /** CPU time of this process (user + system) over the side, ms per allocation. */
  cpuMsPerAllocation: number;
  /** Per-order latency (Vestline's side only). */
  p50Ms?: number;
  p99Ms?: number;
  detail: string;
  /** Table scans during the side (pg_stat_user_tables), filled in by the caller. */
  tables?: string;
}

export interface PureResult {
  schedulesPerSec: number;
  releasesPerSec: number;
  runs: number[];
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

interface OrderTerms {
  id: string;
  reference: string;
  customer_id: string;
  payout_address: string;
  payout_network: string;
  distribution_asset_id: string;
  token_amount: string;
  token_decimals: number;
  token_symbol: string;
  plan_id: string;
  tge_bps: number;
  cliff_days: number;
  periods: number;
  period_days: number;
  start_at: Date;
}

/** createAllocationForOrder's read, for all the site's PAID orders at once. */
const ORDERS_SQL = `select o.id, o.reference, o.customer_id, o.payout_address, d.network as payout_network, o.distribution_asset_id, o.token_amount, d.decimals as token_decimals, d.symbol as token_symbol,
    p.id as plan_id, p.tge_bps, p.cliff_days, p.periods, p.period_days, coalesce(s.tge_at, o.paid_at) as start_at
  from payment_order o
  join asset d on d.id = o.distribution_asset_id
  join vesting_plan p on p.id = o.plan_id
  join site s on s.id = o.site_id
  where o.site_id = $1 and o.status = 'PAID'
  order by o.reference`;

/** The pure function over the given totals, `runs` times after one unmeasured pass; the median rate. */
export function measurePure(totals: bigint[], terms: VestingTerms, startAt: Date, runs: number): PureResult {
  let releases = 0;
  for (const t of totals) releases += vestingSchedule(t, terms, startAt).length;
  const rates: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = performance.now();
    for (const t of totals) vestingSchedule(t, terms, startAt);
    rates.push(totals.length / ((performance.now() - t0) / 1000));
  }
  const sorted = [...rates].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  return { schedulesPerSec: median, releasesPerSec: (median * releases) / totals.length, runs: rates };
}

/** The totals of the site's PAID orders, in reference order (for the pure measurement). */
export async function orderTotals(client: pg.Client, siteId: string): Promise<{ totals: bigint[]; terms: VestingTerms; startAt: Date }> {
  const { rows } = await client.query<OrderTerms>(ORDERS_SQL, [siteId]);
  const first = rows[0]!;
  return {
    totals: rows.map((r) => BigInt(r.token_amount)),
    terms: { tgeBps: first.tge_bps, cliffDays: first.cliff_days, periods: first.periods, periodDays: first.period_days },
    startAt: new Date(first.start_at),
  };
}

/** Vestline: one transaction per PAID order, as the PAID transition runs it (the watcher's actor: none). */
export async function vestlineStore(deps: Deps, client: pg.Client, site: SaleSite): Promise<ScheduleSide> {
  const ids = (await client.query<{ id: string }>(`select id from payment_order where site_id = $1 and status = 'PAID' order by reference`, [site.siteId])).rows.map((r) => r.id);
  const latencies: number[] = [];
  const c0 = cpuMs();
  const t0 = performance.now();
  for (const orderId of ids) {
    const s = performance.now();
    const r = await deps.orm.em.fork().transactional((tx) => createAllocationForOrder(tx, { actor: null, ip: null }, site.siteId, orderId));
    if (!r.created) throw new Error(`schedule: order ${orderId} already had an allocation`);
    latencies.push(performance.now() - s);
  }
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuMs() - c0;
  latencies.sort((a, b) => a - b);
  const releases = Number((await client.query<{ n: number }>('select count(*)::int as n from vesting_release where site_id = $1', [site.siteId])).rows[0]!.n);
  return {
    label: 'Vestline: createAllocationForOrder per PAID order, a transaction each',
    seconds,
    allocations: ids.length,
    releases,
    cpuMsPerAllocation: cpu / ids.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    detail:
      'one caller, in order; per order: begin, the order read, insert allocation, insert 48 releases (one statement), the sum check, the audit entry (unit of work), and where the schema has the outbox the allocation.created event (re-read of the allocation, event insert, delivery insert), commit',
  };
}

/**
 * The reference: the same work for a second site's orders, in bulk. The schedule comes from the same
 * function, ids and custody keys are made the same way, the audit entries carry the same details.
 */
export async function referenceStore(client: pg.Client, site: SaleSite): Promise<ScheduleSide> {
  // Where the schema has the merchant notifications' outbox, Vestline writes an allocation.created event too.
  const outboxPresent = (await client.query<{ t: string | null }>(`select to_regclass('notification_event')::text as t`)).rows[0]!.t !== null;
  const c0 = cpuMs();
  const t0 = performance.now();
  const { rows: orders } = await client.query<OrderTerms>(ORDERS_SQL, [site.siteId]);
  const al = { id: [] as string[], order: [] as string[], beneficiary: [] as string[], network: [] as string[], address: [] as string[], asset: [] as string[], total: [] as string[], plan: [] as string[], tge: [] as number[], cliff: [] as number[], periods: [] as number[], periodDays: [] as number[], start: [] as string[] };
  const rel = { id: [] as string[], allocation: [] as string[], index: [] as number[], amount: [] as string[], unlockAt: [] as string[], ext: [] as string[] };
  const audit = { id: [] as string[], target: [] as string[], details: [] as string[] };
  const outbox = { id: [] as string[], data: [] as string[] };
  const createdAt = new Date();
  for (const o of orders) {
    const id = randomUUID();
    const startAt = new Date(o.start_at);
    const total = BigInt(o.token_amount);
    const schedule = vestingSchedule(total, { tgeBps: o.tge_bps, cliffDays: o.cliff_days, periods: o.periods, periodDays: o.period_days }, startAt);
    al.id.push(id);
    al.order.push(o.id);
    al.beneficiary.push(o.customer_id);
    al.network.push(o.payout_network);
    al.address.push(o.payout_address);
    al.asset.push(o.distribution_asset_id);
    al.total.push(o.token_amount);
    al.plan.push(o.plan_id);
    al.tge.push(o.tge_bps);
    al.cliff.push(o.cliff_days);
    al.periods.push(o.periods);
    al.periodDays.push(o.period_days);
    al.start.push(startAt.toISOString());
    for (const r of schedule) {
      const rid = randomUUID();
      rel.id.push(rid);
      rel.allocation.push(id);
      rel.index.push(r.index);
      rel.amount.push(r.amount.toString());
      rel.unlockAt.push(r.unlockAt.toISOString());
      rel.ext.push(externalTxIdOf(rid));
    }
    audit.id.push(randomUUID());
    audit.target.push(id);
    audit.details.push(JSON.stringify(sanitizeDetails({ orderId: o.id, totalAmount: fromBaseUnits(total, o.token_decimals), releases: schedule.length, startAt: startAt.toISOString() })));
    // The allocation.created outbox event, with readAllocationData's fields (src/services/notifications/payloads.ts).
    outbox.id.push(`msg_${randomUUID().replace(/-/g, '')}`);
    outbox.data.push(
      JSON.stringify({
        id,
        status: 'ACTIVE',
        orderId: o.id,
        payoutNetwork: o.payout_network,
        payoutAddress: o.payout_address,
        asset: { symbol: o.token_symbol, decimals: o.token_decimals },
        totalAmount: fromBaseUnits(total, o.token_decimals),
        releasedAmount: '0',
        startAt: startAt.toISOString(),
        createdAt: createdAt.toISOString(),
      }),
    );
  }
  await client.query('begin');
  try {
    await client.query(
      `insert into allocation (id, site_id, status, beneficiary_id, order_id, payout_network, payout_address, asset_id, total_amount, released_amount,
         plan_id, tge_bps, cliff_days, periods, period_days, start_at, created_at, updated_at)
       select id, $1, 'ACTIVE', beneficiary, order_id, network::network, address, asset, total, 0, plan, tge, cliff, periods, period_days, start_at, now(), now()
       from unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::uuid[], $8::numeric[], $9::uuid[], $10::int[], $11::int[], $12::int[], $13::int[], $14::timestamptz[])
         as u(id, order_id, beneficiary, network, address, asset, total, plan, tge, cliff, periods, period_days, start_at)`,
      [site.siteId, al.id, al.order, al.beneficiary, al.network, al.address, al.asset, al.total, al.plan, al.tge, al.cliff, al.periods, al.periodDays, al.start],
    );
    await client.query(
      `insert into vesting_release (id, site_id, allocation_id, index, amount, unlock_at, status, external_tx_id, created_at, updated_at)
       select id, $1, allocation_id, index, amount, unlock_at, 'LOCKED', ext, now(), now()
       from unnest($2::uuid[], $3::uuid[], $4::int[], $5::numeric[], $6::timestamptz[], $7::text[]) as u(id, allocation_id, index, amount, unlock_at, ext)`,
      [site.siteId, rel.id, rel.allocation, rel.index, rel.amount, rel.unlockAt, rel.ext],
    );
    // The stored schedules must add up to their allocations, or nothing is kept (Vestline checks each).
    const { rows } = await client.query<{ bad: number }>(
      `select count(*)::int as bad from allocation a left join (select allocation_id, sum(amount) as s from vesting_release where allocation_id = any($1::uuid[]) group by allocation_id) r
         on r.allocation_id = a.id where a.id = any($1::uuid[]) and r.s is distinct from a.total_amount`,
      [al.id],
    );
    if (rows[0]!.bad !== 0) throw new Error(`reference: ${rows[0]!.bad} allocations whose releases do not add up`);
    await client.query(
      `insert into audit_entry (id, site_id, actor_id, action, target_type, target_id, details, ip, at)
       select id, $1, null, 'allocation.created', 'Allocation', target, details, null, now() from unnest($2::uuid[], $3::text[], $4::jsonb[]) as u(id, target, details)`,
      [site.siteId, audit.id, audit.target, audit.details],
    );
    if (outboxPresent) {
      await client.query(
        `with ev as (
           insert into notification_event (id, site_id, type, data, created_at)
           select id, $1, 'allocation.created', data, now() from unnest($2::text[], $3::jsonb[]) as u(id, data) returning id, site_id, type
         )
         insert into webhook_delivery (id, site_id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, created_at, updated_at)
         select gen_random_uuid(), ev.site_id, e.id, ev.id, ev.type, 'PENDING', 0, now(), now(), now()
         from ev join webhook_endpoint e on e.site_id = ev.site_id and e.active and (cardinality(e.events) = 0 or ev.type = any(e.events))`,
        [site.siteId, outbox.id, outbox.data],
      );
    }
    await client.query('commit');
  } catch (e) {
    await client.query('rollback').catch(() => undefined);
    throw e;
  }
  const seconds = (performance.now() - t0) / 1000;
  return {
    label: 'reference: the same function, stored in bulk (unnest)',
    seconds,
    allocations: al.id.length,
    releases: rel.id.length,
    cpuMsPerAllocation: (cpuMs() - c0) / al.id.length,
    detail: `one SELECT of the orders; one transaction: INSERT ... SELECT FROM unnest for ${al.id.length.toLocaleString('en-US')} allocations, ${rel.id.length.toLocaleString('en-US')} releases and ${audit.id.length.toLocaleString('en-US')} audit entries, one set-based sum check${outboxPresent ? `, ${outbox.id.length.toLocaleString('en-US')} allocation.created outbox events (and the delivery insert for the site's endpoints)` : ''}, commit`,
  };
}

export type TableStats = Record<string, { seqScan: number; seqTupRead: number; idxScan: number; inserted: number; analyzed: number }>;

/**
 * Scans and rows read per table so far (pg_stat_user_tables), for where a side's time goes. Backends
 * report their counts at the end of a transaction, at most once a second: wait for them first.
 */
export async function tableStats(client: pg.Client, tables: string[]): Promise<TableStats> {
  await new Promise((r) => setTimeout(r, 1200));
  await client.query('select pg_stat_clear_snapshot()');
  const { rows } = await client.query<{ relname: string; seq_scan: string; seq_tup_read: string; idx_scan: string | null; n_tup_ins: string; analyzed: string }>(
    'select relname, seq_scan, seq_tup_read, idx_scan, n_tup_ins, analyze_count + autoanalyze_count as analyzed from pg_stat_user_tables where relname = any($1::text[])',
    [tables],
  );
  return Object.fromEntries(rows.map((r) => [r.relname, { seqScan: Number(r.seq_scan), seqTupRead: Number(r.seq_tup_read), idxScan: Number(r.idx_scan ?? 0), inserted: Number(r.n_tup_ins), analyzed: Number(r.analyzed) }]));
}

export function statsDelta(before: TableStats, after: TableStats): string {
  return Object.keys(after)
    .sort()
    .map((t) => {
      const a = after[t]!;
      const b = before[t] ?? { seqScan: 0, seqTupRead: 0, idxScan: 0, inserted: 0, analyzed: 0 };
      return `${t}: ${a.seqScan - b.seqScan} seq scans reading ${(a.seqTupRead - b.seqTupRead).toLocaleString('en-US')} rows, ${a.idxScan - b.idxScan} index scans, ${(a.inserted - b.inserted).toLocaleString('en-US')} inserted${a.analyzed - b.analyzed ? `, analyzed ${a.analyzed - b.analyzed} time(s)` : ''}`;
    })
    .join('; ');
}

export interface ScheduleCheck {
  notes: string[];
}

/** What each side stored, and that the two sides stored the same schedules. */
export async function checkSchedules(client: pg.Client, sites: SaleSite[], orders: number, releasesEach: number): Promise<ScheduleCheck> {
  const notes: string[] = [];
  const hashes: string[] = [];
  for (const s of sites) {
    const { rows } = await client.query<{ allocations: number; releases: number; bad_sums: number; wrong_count: number; unallocated: number; audits: number; outbox: number | null; locked: number }>(
      `select count(*)::int as allocations, coalesce(sum(x.n), 0)::int as releases,
         count(*) filter (where x.s is distinct from a.total_amount)::int as bad_sums,
         count(*) filter (where x.n <> $2)::int as wrong_count,
         (select count(*)::int from payment_order o where o.site_id = $1 and o.status = 'PAID' and not exists (select 1 from allocation z where z.order_id = o.id)) as unallocated,
         (select count(*)::int from audit_entry e where e.site_id = $1 and e.action = 'allocation.created') as audits,
         case when to_regclass('notification_event') is null then null else (select count(*)::int from notification_event n where n.site_id = $1 and n.type = 'allocation.created') end as outbox,
         coalesce(sum(x.locked), 0)::int as locked
       from allocation a left join lateral (
         select count(*)::int as n, sum(amount) as s, count(*) filter (where status = 'LOCKED')::int as locked from vesting_release r where r.allocation_id = a.id
       ) x on true
       where a.site_id = $1`,
      [s.siteId, releasesEach],
    );
    const r = rows[0]!;
    const problems = [
      r.allocations !== orders && `${r.allocations} allocations, expected ${orders}`,
      r.releases !== orders * releasesEach && `${r.releases} releases, expected ${orders * releasesEach}`,
      r.locked !== r.releases && `${r.releases - r.locked} releases not LOCKED`,
      r.bad_sums && `${r.bad_sums} allocations whose releases do not add up to the total`,
      r.wrong_count && `${r.wrong_count} allocations without exactly ${releasesEach} releases`,
      r.unallocated && `${r.unallocated} PAID orders without an allocation`,
      r.audits !== orders && `${r.audits} allocation.created audit entries, expected ${orders}`,
      r.outbox !== null && r.outbox !== orders && `${r.outbox} allocation.created outbox events, expected ${orders}`,
    ].filter(Boolean);
    if (problems.length) throw new Error(`schedule: site ${s.slug}: ${problems.join('; ')}`);
    const h = await client.query<{ h: string }>(
      `select md5(string_agg(concat_ws(':', o.reference, a.total_amount, a.start_at, a.payout_address, a.tge_bps, a.periods, r.index, r.amount, r.unlock_at, r.status, length(r.external_tx_id)), ',' order by o.reference, r.index)) as h
       from allocation a join payment_order o on o.id = a.order_id join vesting_release r on r.allocation_id = a.id where a.site_id = $1`,
      [s.siteId],
    );
    hashes.push(h.rows[0]!.h);
  }
  if (new Set(hashes).size !== 1) throw new Error(`schedule: the two sites' stored schedules differ (${hashes.join(' vs ')})`);
  notes.push(
    `each side: ${orders.toLocaleString('en-US')} allocations, ${(orders * releasesEach).toLocaleString('en-US')} releases (${releasesEach} each, LOCKED), every allocation's releases sum to its total, one allocation per PAID order, ${orders.toLocaleString('en-US')} audit entries (and outbox events, where the schema has them); the two sides' schedules identical order by order (amounts, unlock times, indices)`,
  );
  return { notes };
}
