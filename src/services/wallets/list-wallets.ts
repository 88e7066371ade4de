import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import type { Network, WalletStatus } from '../../entities/enums.js';
import { Wallet } from '../../entities/wallet.entity.js';
import { checkPageSize, decodeCursor, encodeCursor, type Page } from '../pagination.js';

export interface WalletQuery {
  network?: Network | null;
  status?: WalletStatus[] | null;
  first: number;
  after?: string | null;
}

/** Newest first, keyset-paginated, inside one site. */
export async function listWallets(em: EntityManager, siteId: string, q: WalletQuery): Promise<Page<Wallet>> {
  const first = checkPageSize(q.first);
  const base: FilterQuery<Wallet> = { site: siteId };
  if (q.network) base.network = q.network;
  if (q.status?.length) base.status = { $in: q.status };
  const cursor = q.after ? decodeCursor(q.after) : null;
  const where: FilterQuery<Wallet> = cursor
    ? { $and: [base, { $or: [{ createdAt: { $lt: cursor.at } }, { createdAt: cursor.at, id: { $lt: cursor.id } }] }] }
    : base;
  const [rows, totalCount] = await Promise.all([
    em.find(Wallet, where, { orderBy: { createdAt: 'desc', id: 'desc' }, limit: first + 1, populate: ['balanceAsset'] }),
    em.count(Wallet, base),
  ]);
  const items = rows.slice(0, first);
  const last = items.at(-1);
  return { items, hasNextPage: rows.length > first, endCursor: last ? encodeCursor({ at: last.createdAt, id: last.id }) : null, totalCount };
}
