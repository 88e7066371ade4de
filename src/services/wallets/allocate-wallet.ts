import type { EntityManager } from '@mikro-orm/postgresql';
import type { Network } from '../../entities/enums.js';
import { PoolExhaustedError } from './errors.js';

export interface AllocatedWallet {
  id: string;
  address: string;
}

/**
 * Takes one AVAILABLE wallet of the network for an order, in a single statement: the inner SELECT
 * skips rows other transactions have locked, so concurrent orders never share a wallet and never
 * wait on each other. The oldest-available wallet goes first, spreading use across the pool.
 */
export async function allocateWallet(em: EntityManager, siteId: string, network: Network, orderId: string): Promise<AllocatedWallet> {
  const rows = await em.execute<AllocatedWallet[]>(
    `update wallet set status = 'ALLOCATED', current_order_id = ?, updated_at = now()
     where site_id = ? and id = (
       select id from wallet
       where site_id = ? and network = ? and status = 'AVAILABLE'
       order by updated_at, id
       limit 1
       for update skip locked
     )
     returning id, address`,
    [orderId, siteId, siteId, network],
  );
  if (!rows[0]) throw new PoolExhaustedError(network);
  return rows[0];
}
