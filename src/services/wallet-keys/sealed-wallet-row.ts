import type { Network } from '../../entities/enums.js';

/** The columns key custody reads straight from the wallet table (raw SQL, no entity hydration). */
export interface SealedWalletRow {
  id: string;
  network: Network;
  address: string;
  sealed_key: Buffer;
  key_version: number;
}
