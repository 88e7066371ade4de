import type { FilterQuery } from '@mikro-orm/postgresql';
import { Asset } from '../../entities/asset.entity.js';
import type { AssetPurpose, Network } from '../../entities/enums.js';
import { requireSiteId } from '../auth/actor.js';
import type { Scope } from '../scope.js';

export function listAssets(scope: Scope, filter: { network?: Network | null; purpose?: AssetPurpose | null }): Promise<Asset[]> {
  const where: FilterQuery<Asset> = { site: requireSiteId(scope) };
  if (filter.network) where.network = filter.network;
  if (filter.purpose) where.purpose = filter.purpose;
  return scope.em.find(Asset, where, { orderBy: { network: 'asc', purpose: 'asc', symbol: 'asc', id: 'asc' } });
}
