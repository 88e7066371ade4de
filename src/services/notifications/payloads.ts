import type { EntityManager } from '@mikro-orm/postgresql';
import { asDate, asDateOrNull } from '../../db/plain-reads.js';
import { fromBaseUnits } from '../money/amount.js';
import { ORDER_COLUMNS, ORDER_FROM, orderView, type OrderRow, type OrderView } from '../orders/order-view.js';

/**
 * Event payloads: the object as the API shows it (Decimal strings, ISO dates), built inside the
 * transaction of the change, so the event says what was true when it happened.
 */
export function orderData(o: OrderView): Record<string, unknown> {
  const expected = BigInt(o.amountExpected);
  const received = BigInt(o.amountReceived);
  const d = o.asset.decimals;
  return {
    id: o.id,
    reference: o.reference,
    status: o.status,
    network: o.network,
    asset: { symbol: o.asset.symbol, decimals: d, contractAddress: o.asset.contractAddress },
    payToAddress: o.payToAddress,
    amountExpected: fromBaseUnits(expected, d),
    amountReceived: fromBaseUnits(received, d),
    amountOverpaid: fromBaseUnits(received > expected ? received - expected : 0n, d),
    tokenAmount: fromBaseUnits(o.tokenAmount, o.tokenDecimals),
    confirmations: o.confirmations,
    confirmationsRequired: o.confirmationsRequired,
    expiresAt: o.expiresAt.toISOString(),
    paidAt: o.paidAt?.toISOString() ?? null,
    createdAt: o.createdAt.toISOString(),
    updatedAt: o.updatedAt.toISOString(),
  };
}

/** The order as this transaction sees it. */
export async function readOrderData(tx: EntityManager, siteId: string, orderId: string): Promise<Record<string, unknown>> {
  const [row] = await tx.execute<OrderRow[]>(`select ${ORDER_COLUMNS} from ${ORDER_FROM} where o.id = ? and o.site_id = ?`, [orderId, siteId]);
  if (!row) throw new Error(`order ${orderId} not found in its own transaction`);
  return orderData(orderView(row));
}

export interface ReleaseEventRow {
  id: string;
  allocation_id: string;
  index: number;
  amount: string;
  decimals: number;
  unlock_at: Date | string;
  status: string;
  external_tx_id: string;
  tx_hash: string | null;
  failure_reason: string | null;
  released_at: Date | string | null;
}

/** Columns of a release (`r`) and its asset (`d`) that releaseData needs. */
export const RELEASE_EVENT_COLUMNS = `r.id, r.allocation_id, r.index, r.amount, d.decimals, r.unlock_at, r.status, r.external_tx_id, r.tx_hash, r.failure_reason, r.released_at`;

export function releaseData(r: ReleaseEventRow): Record<string, unknown> {
  return {
    id: r.id,
    allocationId: r.allocation_id,
    index: r.index,
    amount: fromBaseUnits(r.amount, r.decimals),
    unlockAt: asDate(r.unlock_at).toISOString(),
    status: r.status,
    externalTxId: r.external_tx_id,
    txHash: r.tx_hash,
    failureReason: r.failure_reason,
    releasedAt: asDateOrNull(r.released_at)?.toISOString() ?? null,
  };
}

export async function readReleaseData(tx: EntityManager, siteId: string, releaseId: string): Promise<Record<string, unknown>> {
  const [row] = await tx.execute<ReleaseEventRow[]>(
    `select ${RELEASE_EVENT_COLUMNS} from vesting_release r join allocation al on al.id = r.allocation_id join asset d on d.id = al.asset_id where r.id = ? and r.site_id = ?`,
    [releaseId, siteId],
  );
  if (!row) throw new Error(`release ${releaseId} not found in its own transaction`);
  return releaseData(row);
}

export async function readAllocationData(tx: EntityManager, siteId: string, allocationId: string): Promise<Record<string, unknown>> {
  const [a] = await tx.execute<{ id: string; status: string; order_id: string | null; payout_network: string; payout_address: string; total_amount: string; released_amount: string; decimals: number; symbol: string; start_at: Date | string; created_at: Date | string }[]>(
    `select al.id, al.status, al.order_id, al.payout_network, al.payout_address, al.total_amount, al.released_amount, d.decimals, d.symbol, al.start_at, al.created_at
     from allocation al join asset d on d.id = al.asset_id where al.id = ? and al.site_id = ?`,
    [allocationId, siteId],
  );
  if (!a) throw new Error(`allocation ${allocationId} not found in its own transaction`);
  return {
    id: a.id,
    status: a.status,
    orderId: a.order_id,
    payoutNetwork: a.payout_network,
    payoutAddress: a.payout_address,
    asset: { symbol: a.symbol, decimals: a.decimals },
    totalAmount: fromBaseUnits(a.total_amount, a.decimals),
    releasedAmount: fromBaseUnits(a.released_amount, a.decimals),
    startAt: asDate(a.start_at).toISOString(),
    createdAt: asDate(a.created_at).toISOString(),
  };
}
