import type { EntityManager } from '@mikro-orm/postgresql';
import type { Deps } from '../../deps.js';
import { OPEN_ORDER_STATUSES, OrderStatus, type Network } from '../../entities/enums.js';
import { recordAudit } from '../audit/record-audit.js';
import type { ObservedTransfer } from '../chain/transfer-source.js';
import { fromBaseUnits } from '../money/amount.js';
import { settleOrder } from './settle-order.js';
import { emitEvent } from '../notifications/emit.js';
import { readOrderData } from '../notifications/payloads.js';
import { confirmationsAt } from './payment-progress.js';
import type { WatchedWallet } from './watched-wallets.js';

export type RecordOutcome = 'credited' | 'late' | 'known' | 'revived';

const isOpen = (s: OrderStatus) => (OPEN_ORDER_STATUSES as readonly OrderStatus[]).includes(s);

/**
 * Stores one observed transfer into a watched wallet, once (unique network + tx + log index), and in
 * the same transaction credits it to the wallet's order if that order is still open, or records it as
 * a late payment of that order (audited, never credited: domain.md, Order). A transfer seen again is
 * left alone, unless a reorg had dropped it and it came back in another block.
 */
export async function recordTransfer(
  deps: Pick<Deps, 'orm' | 'events'>,
  network: Network,
  head: number,
  wallet: WatchedWallet,
  t: ObservedTransfer,
): Promise<RecordOutcome> {
  return deps.orm.em.fork().transactional(async (tx) => {
    // The order row is locked first: the expiry job and the other paths that end an order lock it
    // too, so the transfer is credited to an order that is open when the credit commits.
    const [order] = await tx.execute<{ status: OrderStatus; decimals: number; reference: string }[]>(
      `select o.status, a.decimals, o.reference from payment_order o join asset a on a.id = o.asset_id
       where o.id = ? and o.site_id = ? for update of o`,
      [wallet.orderId, wallet.siteId],
    );
    if (!order) throw new Error(`order ${wallet.orderId} of watched wallet ${wallet.walletId} is missing`);
    const credit = isOpen(order.status);
    const confirmations = confirmationsAt(head, t.blockNumber);
    const [row] = await tx.execute<{ id: string; inserted: boolean }[]>(
      `insert into chain_transfer (id, site_id, network, tx_hash, log_index, from_address, to_address, wallet_id, asset_id, amount,
         block_number, block_hash, confirmations, status, order_id, late_for_order_id, seen_at, updated_at)
       values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::transfer_status, ?, ?, now(), now())
       on conflict (network, tx_hash, log_index) do update
         set block_number = excluded.block_number, block_hash = excluded.block_hash, confirmations = excluded.confirmations,
             status = excluded.status, updated_at = now()
         where chain_transfer.status = 'REORGED' and chain_transfer.site_id = excluded.site_id
       returning id, (xmax = 0) as inserted`,
      [
        wallet.siteId,
        network,
        t.txHash,
        t.logIndex,
        t.from,
        t.to,
        wallet.walletId,
        wallet.assetId,
        t.amount.toString(),
        t.blockNumber,
        t.blockHash,
        confirmations,
        // Found already deep enough (e.g. after downtime): confirmed at once, from the chain it was just read from.
        confirmations >= wallet.confirmationsRequired ? 'CONFIRMED' : 'UNCONFIRMED',
        credit ? wallet.orderId : null,
        credit ? null : wallet.orderId,
      ],
    );
    if (!row) return 'known';
    if (row.inserted && !credit) {
      recordLatePayment(tx, wallet, t, order);
      await emitEvent(tx, {
        siteId: wallet.siteId,
        type: 'order.late_payment',
        data: { order: await readOrderData(tx, wallet.siteId, wallet.orderId), transfer: { txHash: t.txHash, logIndex: t.logIndex, amount: fromBaseUnits(t.amount, order.decimals), fromAddress: t.from, toAddress: t.to } },
      });
      return 'late';
    }
    await settleOrder(tx, deps.events, wallet.siteId, wallet.orderId);
    return row.inserted ? 'credited' : 'revived';
  });
}

function recordLatePayment(tx: EntityManager, wallet: WatchedWallet, t: ObservedTransfer, order: { status: OrderStatus; decimals: number; reference: string }): void {
  recordAudit(tx, { actor: null, siteId: wallet.siteId, ip: null }, {
    action: 'order.late_payment',
    targetType: 'PaymentOrder',
    targetId: wallet.orderId,
    details: { reference: order.reference, orderStatus: order.status, txHash: t.txHash, logIndex: t.logIndex, amount: fromBaseUnits(t.amount, order.decimals), address: t.to },
  });
}
