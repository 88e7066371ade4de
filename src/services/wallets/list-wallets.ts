import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import type { Network, WalletStatus } from '../../entities/enums.js';
import { Wallet } from '../../entities/wallet.entity.js';
import { keysetPage, type Page } from '../pagination.js';

export interface WalletQuery {
  network?: Network | null;
  status?: WalletStatus[] | null;
  first: number;
  after?: string | null;
}

/** Newest first, keyset-paginated, inside one site. */
export function listWallets(em: EntityManager, siteId: string, q: WalletQuery): Promise<Page<Wallet>> {
  const base: FilterQuery<Wallet> = { site: siteId };
  if (q.network) base.network = q.network;
  if (q.status?.length) base.status = { $in: q.status };
  return keysetPage(em, Wallet, base, 'createdAt', q, { populate: ['balanceAsset'] as never });
}
