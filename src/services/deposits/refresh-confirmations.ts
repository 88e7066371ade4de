import type { Deps } from '../../deps.js';
import type { Network } from '../../entities/enums.js';
import { settleOrder } from './settle-order.js';

interface Unconfirmed {
  id: string;
  block_number: string;
  block_hash: string;
}

/**
 * Every run, for the network's transfers still short of their confirmations: drops those whose block
 * left the canonical chain (REORGED: never counted, so a reorged transfer is not credited), counts
 * confirmations against `head` for the rest, marks those that reached the order's requirement
 * CONFIRMED, and settles their orders (PAID once the confirmed sum reaches the expected amount).
 */
export async function refreshConfirmations(
  deps: Pick<Deps, 'orm' | 'events'>,
  network: Network,
  head: number,
  canonicalHashes: (blockNumbers: number[]) => Promise<Map<number, string | null>>,
): Promise<{ reorged: number; confirmed: number; settled: number }> {
  const em = deps.orm.em.fork();
  const pending = await em.execute<Unconfirmed[]>(
    // all-sites: the watcher rechecks every site's unconfirmed transfers; orders are settled per site below.
    `select id, block_number, block_hash from chain_transfer where network = ? and status = 'UNCONFIRMED'`,
    [network],
  );
  if (!pending.length) return { reorged: 0, confirmed: 0, settled: 0 };
  const blocks = [...new Set(pending.map((t) => Number(t.block_number)).filter((n) => n <= head))];
  const hashes = blocks.length ? await canonicalHashes(blocks) : new Map<number, string | null>();
  // A block at or below the head that is missing or has another hash is no longer on the chain.
  const gone = pending.filter((t) => {
    const n = Number(t.block_number);
    return n <= head && hashes.get(n)?.toLowerCase() !== t.block_hash.toLowerCase();
  });
  const touched = new Map<string, string>();
  if (gone.length) {
    const rows = await em.execute<{ site_id: string; order_id: string | null }[]>(
      // all-sites: reorged transfers of every site, by id; their orders are settled per site below.
      `update chain_transfer set status = 'REORGED', updated_at = now() where id in (${gone.map(() => '?').join(', ')}) and status = 'UNCONFIRMED' returning site_id, order_id`,
      gone.map((t) => t.id),
    );
    for (const r of rows) if (r.order_id) touched.set(r.order_id, r.site_id);
  }
  const counted = await em.execute<{ site_id: string; order_id: string | null; status: string }[]>(
    // all-sites: confirmations of every site's unconfirmed transfers against one head.
    `update chain_transfer t
     set confirmations = greatest(?::bigint - t.block_number + 1, 0),
         status = case when ?::bigint - t.block_number + 1 >= o.confirmations_required then 'CONFIRMED'::transfer_status else 'UNCONFIRMED'::transfer_status end,
         updated_at = now()
     from payment_order o
     where o.id = coalesce(t.order_id, t.late_for_order_id) and o.site_id = t.site_id and t.network = ? and t.status = 'UNCONFIRMED'
     returning t.site_id, t.order_id, t.status`,
    [head, head, network],
  );
  for (const r of counted) if (r.order_id) touched.set(r.order_id, r.site_id);
  let settled = 0;
  for (const [orderId, siteId] of touched) {
    await deps.orm.em.fork().transactional((tx) => settleOrder(tx, deps.events, siteId, orderId));
    settled++;
  }
  return { reorged: gone.length, confirmed: counted.filter((r) => r.status === 'CONFIRMED').length, settled };
}
