import type { EntityManager } from '@mikro-orm/postgresql';
import type { Keyring } from './master-keys.js';
import type { SealedWalletRow } from './sealed-wallet-row.js';
import { WalletKeyDecryptionError, withWalletKey } from './wallet-key-cipher.js';

export class MasterKeyMismatchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MasterKeyMismatchError';
  }
}

/**
 * Start-up check: every key version found in the database must be configured and must open one of
 * its wallets. A wrong WALLET_MASTER_KEYS stops the process now instead of failing at the first payout.
 */
export async function verifyMasterKeys(em: EntityManager, ring: Keyring): Promise<{ checked: number[] }> {
  const rows = await em.execute<SealedWalletRow[]>(
    `select distinct on (key_version) id, network, address, sealed_key, key_version from wallet order by key_version, id`,
  );
  for (const r of rows) {
    if (!ring.get(r.key_version)) {
      throw new MasterKeyMismatchError(`WALLET_MASTER_KEYS has no version ${r.key_version}, but wallets are sealed with it; add it back (older versions stay until rotation is complete)`);
    }
    try {
      withWalletKey({ sealed: r.sealed_key, keyVersion: r.key_version }, { walletId: r.id, network: r.network, address: r.address }, ring, () => undefined);
    } catch (e) {
      if (e instanceof WalletKeyDecryptionError) {
        throw new MasterKeyMismatchError(`WALLET_MASTER_KEYS version ${r.key_version} does not open the wallets sealed with it: wrong key for this database`);
      }
      throw e;
    }
  }
  return { checked: rows.map((r) => r.key_version) };
}
