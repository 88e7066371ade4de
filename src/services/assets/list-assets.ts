import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { Asset } from '../../entities/asset.entity.js';
import { AssetPurpose, type Network } from '../../entities/enums.js';

export function listAssets(em: EntityManager, siteId: string, filter: { network?: Network | null; purpose?: AssetPurpose | null }): Promise<Asset[]> {
  const where: FilterQuery<Asset> = { site: siteId };
  if (filter.network) where.network = filter.network;
  if (filter.purpose) where.purpose = filter.purpose;
  return em.find(Asset, where, { orderBy: { network: 'asc', purpose: 'asc', symbol: 'asc', id: 'asc' } });
}

/** The site's active PAYMENT asset on a network (the one wallet balances are read in), if any. */
export function findPaymentAsset(em: EntityManager, siteId: string, network: Network): Promise<Asset | null> {
  return em.findOne(Asset, { site: siteId, network, purpose: AssetPurpose.PAYMENT, active: true }, { orderBy: { createdAt: 'asc' } });
}
