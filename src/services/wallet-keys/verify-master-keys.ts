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

/** The key is right (other wallets of its version open), but these rows do not: a data problem, not a configuration one. */
export class DamagedWalletKeyError extends Error {
  constructor(
    message: string,
    readonly walletIds: string[],
  ) {
    super(message);
    this.name = 'DamagedWalletKeyError';
  }
}

/** Wallets tried per key version: one damaged row must not pass for a wrong key. */
export const ROWS_CHECKED_PER_VERSION = 3;

/**
 * Start-up check: every key version found in the database must be configured and must open its
 * wallets (up to ROWS_CHECKED_PER_VERSION of each). A wrong WALLET_MASTER_KEYS stops the process now
 * instead of failing at the first payout. When some checked wallets of a version open and others do
 * not, the key is right and those rows are damaged: that stops start-up too, naming the rows, so an
 * operator restores them instead of hunting for another key.
 */
export async function verifyMasterKeys(em: EntityManager, ring: Keyring): Promise<{ checked: number[] }> {
  const rows = await em.execute<SealedWalletRow[]>(
    // all-sites: start-up check; master key versions are platform-wide.
    `select id, network, address, sealed_key, key_version from (
       select id, network, address, sealed_key, key_version, row_number() over (partition by key_version order by id) as n from wallet
     ) w where n <= ? order by key_version, id`,
    [ROWS_CHECKED_PER_VERSION],
  );
  const versions = [...new Set(rows.map((r) => r.key_version))];
  for (const version of versions) {
    if (!ring.get(version)) {
      throw new MasterKeyMismatchError(`WALLET_MASTER_KEYS has no version ${version}, but wallets are sealed with it; add it back (older versions stay until rotation is complete)`);
    }
    const sample = rows.filter((r) => r.key_version === version);
    const closed = sample.filter((r) => !opens(r, ring)).map((r) => r.id);
    if (!closed.length) continue;
    const wrongKey = `WALLET_MASTER_KEYS version ${version} does not open the wallets sealed with it: wrong key for this database`;
    if (sample.length === 1) throw new MasterKeyMismatchError(`${wrongKey} (or wallet ${closed[0]} is damaged: it is the only wallet sealed with this version)`);
    if (closed.length === sample.length) throw new MasterKeyMismatchError(wrongKey);
    throw new DamagedWalletKeyError(
      `WALLET_MASTER_KEYS version ${version} is right (it opens other wallets sealed with it), but the sealed key of ${closed.length} wallet(s) does not open, so the row is damaged: ${closed.join(', ')}; restore it from a backup`,
      closed,
    );
  }
  return { checked: versions };
}

function opens(r: SealedWalletRow, ring: Keyring): boolean {
  try {
    withWalletKey({ sealed: r.sealed_key, keyVersion: r.key_version }, { walletId: r.id, network: r.network, address: r.address }, ring, () => undefined);
    return true;
  } catch (e) {
    if (e instanceof WalletKeyDecryptionError) return false;
    throw e;
  }
}
