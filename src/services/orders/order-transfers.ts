import { asDate } from '../../db/plain-reads.js';
import type { Network } from '../../entities/enums.js';
import { requireSiteId } from '../auth/actor.js';
import { perRequestLoader } from '../per-request-loader.js';

/** A transfer credited to an order, as the API shows it (amount in base units of `decimals`). */
export interface TransferView {
  id: string;
  orderId: string;
  network: Network;
  txHash: string;
  logIndex: number;
  fromAddress: string;
  toAddress: string;
  amount: string;
  decimals: number;
  blockNumber: number;
  confirmations: number;
  seenAt: Date;
}

interface TransferRow extends Omit<TransferView, 'seenAt' | 'blockNumber'> {
  seenAt: Date | string;
  blockNumber: string;
}

/**
 * The transfers credited to an order (reorged ones are left out: they never happened), batched with
 * every other order of the same request, so a page of orders with transfers costs one more query.
 */
export const loadOrderTransfers = perRequestLoader(async (scope, ids: readonly string[]): Promise<TransferView[][]> => {
  const rows = await scope.deps.reads.rows<TransferRow>(
    `select t.id, t.order_id as "orderId", t.network, t.tx_hash as "txHash", t.log_index as "logIndex", t.from_address as "fromAddress",
       t.to_address as "toAddress", t.amount, a.decimals, t.block_number as "blockNumber", t.confirmations, t.seen_at as "seenAt"
     from chain_transfer t join asset a on a.id = t.asset_id
     where t.site_id = ? and t.order_id = any(?::uuid[]) and t.status <> 'REORGED'
     order by t.block_number, t.log_index`,
    [requireSiteId(scope), [...ids]],
  );
  const byOrder = new Map<string, TransferView[]>(ids.map((id) => [id, []]));
  for (const r of rows) byOrder.get(r.orderId)?.push({ ...r, blockNumber: Number(r.blockNumber), seenAt: asDate(r.seenAt) });
  return ids.map((id) => byOrder.get(id) ?? []);
});
