import type { AssetPurpose, Network } from '../../entities/enums.js';

/** An asset as the reads that join it show it (an order's payment asset, an allocation's token). */
export interface AssetView {
  id: string;
  network: Network;
  symbol: string;
  decimals: number;
  contractAddress: string;
  purpose: AssetPurpose;
  custodyAssetId: string | null;
  confirmationsRequired: number;
  active: boolean;
}

/** The asset columns of a read that joins `asset` as `a`, each prefixed `asset_`. */
export const ASSET_COLUMNS = `a.id as asset_id, a.network as asset_network, a.symbol as asset_symbol, a.decimals as asset_decimals,
  a.contract_address as asset_contract_address, a.purpose as asset_purpose, a.custody_asset_id as asset_custody_asset_id,
  a.confirmations_required as asset_confirmations_required, a.active as asset_active`;

export interface AssetRow {
  asset_id: string;
  asset_network: Network;
  asset_symbol: string;
  asset_decimals: number;
  asset_contract_address: string;
  asset_purpose: AssetPurpose;
  asset_custody_asset_id: string | null;
  asset_confirmations_required: number;
  asset_active: boolean;
}

export function assetView(r: AssetRow): AssetView {
  return {
    id: r.asset_id,
    network: r.asset_network,
    symbol: r.asset_symbol,
    decimals: r.asset_decimals,
    contractAddress: r.asset_contract_address,
    purpose: r.asset_purpose,
    custodyAssetId: r.asset_custody_asset_id,
    confirmationsRequired: r.asset_confirmations_required,
    active: r.asset_active,
  };
}
