import type { FilterQuery } from '@mikro-orm/postgresql';
import type { Network, WalletStatus } from '../../entities/enums.js';
import { Wallet } from '../../entities/wallet.entity.js';
import { requireSiteId } from '../auth/actor.js';
import { keysetPage, type Page } from '../pagination.js';
import type { Scope } from '../scope.js';

export interface WalletQuery {
  network?: Network | null;
  status?: WalletStatus[] | null;
  first: number;
  after?: string | null;
  withTotal?: boolean;
}

/** Newest first, keyset-paginated, inside one site. */
export function listWallets(scope: Scope, q: WalletQuery): Promise<Page<Wallet>> {
  const base: FilterQuery<Wallet> = { site: requireSiteId(scope) };
  if (q.network) base.network = q.network;
  if (q.status?.length) base.status = { $in: q.status };
  return keysetPage(scope.em, Wallet, base, 'createdAt', q, { populate: ['balanceAsset'] as never });
}
