import type { EntityManager, FilterQuery } from '@mikro-orm/postgresql';
import { Asset } from '../../entities/asset.entity.js';
import type { AssetPurpose, Network } from '../../entities/enums.js';

export function listAssets(em: EntityManager, siteId: string, filter: { network?: Network | null; purpose?: AssetPurpose | null }): Promise<Asset[]> {
  const where: FilterQuery<Asset> = { site: siteId };
  if (filter.network) where.network = filter.network;
  if (filter.purpose) where.purpose = filter.purpose;
  return em.find(Asset, where, { orderBy: { network: 'asc', purpose: 'asc', symbol: 'asc', id: 'asc' } });
}
