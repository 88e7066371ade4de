import type { Network, WalletStatus } from '../../entities/enums.js';
import type { Wallet } from '../../entities/wallet.entity.js';

/** A wallet as lists read it (a plain row) and as the API shows it: never the sealed key. */
export interface WalletView {
  id: string;
  network: Network;
  address: string;
  label: string | null;
  status: WalletStatus;
  /** Base units of the balance asset, or null before the first sync. */
  balance: string | null;
  balanceDecimals: number | null;
  balanceSyncedAt: Date | null;
  /** The order holding the wallet while ALLOCATED. */
  currentOrderId: string | null;
  createdAt: Date;
}

/** The same view of a loaded entity; expects `balanceAsset` loaded when a balance is set. */
export function walletView(w: Wallet): WalletView {
  return {
    id: w.id,
    network: w.network,
    address: w.address,
    label: w.label,
    status: w.status,
    balance: w.balance,
    balanceDecimals: w.balanceAsset?.decimals ?? null,
    balanceSyncedAt: w.balanceSyncedAt,
    currentOrderId: w.currentOrderId,
    createdAt: w.createdAt,
  };
}
