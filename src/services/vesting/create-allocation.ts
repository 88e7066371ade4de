import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Network } from '../../entities/enums.js';
import { recordAudit } from '../audit/record-audit.js';
import type { RequestScope } from '../auth/actor.js';
import { fromBaseUnits } from '../money/amount.js';
import { vestingSchedule } from './schedule.js';
import { emitEvent } from '../notifications/emit.js';
import { readAllocationData } from '../notifications/payloads.js';

interface PaidOrder {
  customer_id: string;
  payout_address: string;
  payout_network: Network;
  distribution_asset_id: string;
  token_amount: string;
  token_decimals: number;
  plan_id: string;
  tge_bps: number;
  cliff_days: number;
  periods: number;
  period_days: number;
  start_at: Date | string;
}

/** The custody idempotency key of a release: derived from its id, stable across retries, 39 characters. */
export function externalTxIdOf(releaseId: string): string {
  return `vl-rel-${releaseId.replace(/-/g, '')}`;
}

/**
 * The allocation of a PAID order (domain.md, flow step 4), inside the transaction that made it PAID,
 * so a crash can never leave a paid order without its allocation or make two: the order's tokens, its
 * payout address and distribution asset, the plan's terms copied, vesting from the site's TGE date
 * when one is set, else from the payment. The schedule is cut by vestingSchedule and its sum checked
 * again in the database before the transaction may commit. A second call for the same order is a
 * no-op (unique order_id). Returns the allocation id, and whether this call made it.
 */
export async function createAllocationForOrder(
  tx: EntityManager,
  who: Pick<RequestScope, 'actor' | 'ip'>,
  siteId: string,
  orderId: string,
): Promise<{ id: string; created: boolean }> {
  const [o] = await tx.execute<PaidOrder[]>(
    `select o.customer_id, o.payout_address, d.network as payout_network, o.distribution_asset_id, o.token_amount, d.decimals as token_decimals,
       p.id as plan_id, p.tge_bps, p.cliff_days, p.periods, p.period_days, coalesce(s.tge_at, o.paid_at) as start_at
     from payment_order o
     join asset d on d.id = o.distribution_asset_id
     join vesting_plan p on p.id = o.plan_id
     join site s on s.id = o.site_id
     where o.id = ? and o.site_id = ? and o.status = 'PAID'`,
    [orderId, siteId],
  );
  if (!o) throw new Error(`order ${orderId} is not PAID in site ${siteId}: no allocation`);
  const allocationId = randomUUID();
  const startAt = new Date(o.start_at);
  const inserted = await tx.execute<{ id: string }[]>(
    `insert into allocation (id, site_id, status, beneficiary_id, order_id, payout_network, payout_address, asset_id, total_amount, released_amount,
       plan_id, tge_bps, cliff_days, periods, period_days, start_at, created_at, updated_at)
     values (?, ?, 'ACTIVE', ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, ?, now(), now())
     on conflict (order_id) do nothing
     returning id`,
    [allocationId, siteId, o.customer_id, orderId, o.payout_network, o.payout_address, o.distribution_asset_id, o.token_amount, o.plan_id, o.tge_bps, o.cliff_days, o.periods, o.period_days, startAt],
  );
  if (!inserted.length) {
    const [existing] = await tx.execute<{ id: string }[]>('select id from allocation where order_id = ? and site_id = ?', [orderId, siteId]);
    return { id: existing!.id, created: false };
  }
  const total = BigInt(o.token_amount);
  const schedule = vestingSchedule(total, { tgeBps: o.tge_bps, cliffDays: o.cliff_days, periods: o.periods, periodDays: o.period_days }, startAt);
  const params: unknown[] = [];
  const rows = schedule.map((r) => {
    const id = randomUUID();
    params.push(id, siteId, allocationId, r.index, r.amount.toString(), r.unlockAt, externalTxIdOf(id));
    return `(?, ?, ?, ?, ?, ?, 'LOCKED', ?, now(), now())`;
  });
  await tx.execute(
    `insert into vesting_release (id, site_id, allocation_id, index, amount, unlock_at, status, external_tx_id, created_at, updated_at) values ${rows.join(', ')}`,
    params,
  );
  // The schedule as stored must add up to the allocation, or nothing of it is kept.
  const [check] = await tx.execute<{ ok: boolean }[]>(
    `select coalesce(sum(r.amount), 0) = a.total_amount as ok from allocation a left join vesting_release r on r.allocation_id = a.id
     where a.id = ? and a.site_id = ? group by a.total_amount`,
    [allocationId, siteId],
  );
  if (!check?.ok) throw new Error(`allocation ${allocationId}: stored releases do not add up to its total`);
  recordAudit(tx, { ...who, siteId }, {
    action: 'allocation.created',
    targetType: 'Allocation',
    targetId: allocationId,
    details: { orderId, totalAmount: fromBaseUnits(total, o.token_decimals), releases: schedule.length, startAt: startAt.toISOString() },
  });
  await emitEvent(tx, { siteId, type: 'allocation.created', data: await readAllocationData(tx, siteId, allocationId) });
  return { id: allocationId, created: true };
}
