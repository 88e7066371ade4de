import { Asset } from '../../entities/asset.entity.js';
import { AssetPurpose, Network } from '../../entities/enums.js';
import { recordAudit } from '../audit/record-audit.js';
import { requireSiteId } from '../auth/actor.js';
import { canonicalAddress } from '../chain/address.js';
import type { Scope } from '../scope.js';
import { AssetDecimalsLockedError } from './errors.js';

export interface AssetInput {
  network: Network;
  symbol: string;
  decimals: number;
  contractAddress: string;
  purpose: AssetPurpose;
  custodyAssetId?: string | null;
  confirmationsRequired: number;
  active: boolean;
}

/**
 * Creates or updates the asset of (site, network, contract) in one statement, so concurrent upserts
 * cannot create two rows. Decimals are fixed once set. Shapes are checked on the input class.
 */
export async function upsertAsset(scope: Scope, input: AssetInput): Promise<Asset> {
  const siteId = requireSiteId(scope);
  const a = { ...input, custodyAssetId: input.custodyAssetId || null, contractAddress: canonicalAddress(input.network, input.contractAddress, 'contractAddress') };
  return scope.em.transactional(async (tx) => {
    const rows = await tx.execute<{ id: string; decimals: number; inserted: boolean }[]>(
      `insert into asset (id, site_id, network, symbol, decimals, contract_address, purpose, custody_asset_id, confirmations_required, active, created_at, updated_at)
       values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), now())
       on conflict (site_id, network, contract_address) do update set
         symbol = excluded.symbol, purpose = excluded.purpose, custody_asset_id = excluded.custody_asset_id,
         confirmations_required = excluded.confirmations_required, active = excluded.active, updated_at = now()
         where asset.decimals = excluded.decimals
       returning id, decimals, (xmax = 0) as inserted`,
      [siteId, a.network, a.symbol, a.decimals, a.contractAddress, a.purpose, a.custodyAssetId, a.confirmationsRequired, a.active],
    );
    // No row back: the conflicting row exists with other decimals (the WHERE refused the update).
    if (!rows[0]) throw new AssetDecimalsLockedError();
    const asset = await tx.findOneOrFail(Asset, { id: rows[0].id, site: siteId }, { refresh: true });
    recordAudit(tx, scope, {
      action: rows[0].inserted ? 'asset.created' : 'asset.updated',
      targetType: 'Asset',
      targetId: asset.id,
      details: { network: a.network, symbol: a.symbol, contractAddress: a.contractAddress, purpose: a.purpose, active: a.active, confirmationsRequired: a.confirmationsRequired },
    });
    return asset;
  });
}
