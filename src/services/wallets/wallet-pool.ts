import type { EntityManager } from '@mikro-orm/postgresql';
import { Network } from '../../entities/enums.js';
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
     where id = (
       select id from wallet
       where site_id = ? and network = ? and status = 'AVAILABLE'
       order by updated_at, id
       limit 1
       for update skip locked
     )
     returning id, address`,
    [orderId, siteId, network],
  );
  if (!rows[0]) throw new PoolExhaustedError(network);
  return rows[0];
}

/**
 * The order left PENDING/CONFIRMING: the wallet rests for the site's cool-down before reuse, so a
 * late transfer is never credited to the next order. Only the holding order can release it.
 */
export async function releaseWallet(em: EntityManager, walletId: string, orderId: string): Promise<boolean> {
  const res = await em.execute<{ affectedRows: number }>(
    `update wallet w set status = 'COOLING_DOWN', current_order_id = null, updated_at = now(),
       cooling_down_until = now() + make_interval(mins => s.wallet_cooldown_minutes)
     from site s
     where w.id = ? and w.current_order_id = ? and w.status = 'ALLOCATED' and s.id = w.site_id`,
    [walletId, orderId],
    'run',
  );
  return res.affectedRows === 1;
}

/** COOLING_DOWN -> AVAILABLE once the cool-down has passed (run by a job, across all sites). */
export async function endCooldowns(em: EntityManager): Promise<number> {
  const res = await em.execute<{ affectedRows: number }>(
    `update wallet set status = 'AVAILABLE', cooling_down_until = null, updated_at = now()
     where status = 'COOLING_DOWN' and cooling_down_until <= now()`,
    [],
    'run',
  );
  return res.affectedRows;
}

export interface PoolStats {
  network: Network;
  available: number;
  allocated: number;
  coolingDown: number;
  disabled: number;
}

export async function walletPoolStats(em: EntityManager, siteId: string): Promise<PoolStats[]> {
  const rows = await em.execute<{ network: Network; status: string; n: string }[]>(
    `select network, status, count(*) as n from wallet where site_id = ? group by network, status`,
    [siteId],
  );
  return Object.values(Network).map((network) => {
    const count = (status: string) => Number(rows.find((r) => r.network === network && r.status === status)?.n ?? 0);
    return { network, available: count('AVAILABLE'), allocated: count('ALLOCATED'), coolingDown: count('COOLING_DOWN'), disabled: count('DISABLED') };
  });
}
