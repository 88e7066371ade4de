import type { EntityManager } from '@mikro-orm/postgresql';
import type { Keyring } from './master-keys.js';
import type { SealedWalletRow } from './sealed-wallet-row.js';
import { WalletKeyDecryptionError, resealWalletKey } from './wallet-key-cipher.js';

export interface RotationProgress {
  rotated: number;
  remaining: number;
  newestVersion: number;
  /** Wallets whose key could not be opened in this batch (tampered, moved, wrong key): left unchanged. */
  failed: string[];
}

export class StaleKeyringError extends Error {
  constructor(dbVersion: number, newest: number) {
    super(`wallets are sealed with key version ${dbVersion}, newer than this process's newest (${newest}): refusing to rotate backwards`);
    this.name = 'StaleKeyringError';
  }
}

/**
 * Re-encrypts one batch of wallets sealed under an OLDER version than the newest key. Each batch is
 * one transaction taking its rows with SKIP LOCKED, so rotation resumes after a crash (progress is
 * the data) and rotators never fight over a row. Only older versions move: a process still running
 * with an old key list can never rotate wallets back. A row that does not open is reported and
 * skipped, so one bad row cannot stall the rest.
 */
export async function rotateWalletKeysBatch(em: EntityManager, ring: Keyring, batchSize: number, skip: readonly string[] = []): Promise<RotationProgress> {
  const newest = ring.newest.version;
  // all-sites: one master keyring seals every site's wallets, so rotation walks the whole table.
  const [{ max }] = (await em.execute<{ max: number | null }[]>(`select max(key_version) as max from wallet`)) as [{ max: number | null }];
  if (max !== null && max > newest) throw new StaleKeyringError(max, newest);
  const failed: string[] = [];
  const rotated = await em.transactional(async (tx) => {
    // all-sites: rotation re-seals every site's wallets (same keyring for all).
    const rows = await tx.execute<SealedWalletRow[]>(
      `select id, network, address, sealed_key, key_version from wallet
       where key_version < ? and not (id::text = any(string_to_array(?, ',')))
       order by id limit ? for update skip locked`,
      [newest, skip.join(','), batchSize],
    );
    let n = 0;
    for (const r of rows) {
      let resealed;
      try {
        resealed = resealWalletKey({ sealed: r.sealed_key, keyVersion: r.key_version }, { walletId: r.id, network: r.network, address: r.address }, ring);
      } catch (e) {
        if (!(e instanceof WalletKeyDecryptionError)) throw e;
        failed.push(r.id);
        continue;
      }
      // all-sites: the row was selected and locked above by id, whatever its site.
      await tx.execute(`update wallet set sealed_key = ?, key_version = ? where id = ? and key_version = ?`, [resealed.sealed, resealed.keyVersion, r.id, r.key_version]);
      n++;
    }
    return n;
  });
  // all-sites: progress of the platform-wide rotation.
  const [{ n }] = (await em.execute<{ n: string }[]>(`select count(*) as n from wallet where key_version < ?`, [newest])) as [{ n: string }];
  return { rotated, remaining: Number(n), newestVersion: newest, failed };
}

/** Runs batches until every wallet that opens is under the newest key, reporting progress per batch. */
export async function rotateAllWalletKeys(
  em: EntityManager,
  ring: Keyring,
  opts: { batchSize: number; onProgress?: (p: RotationProgress) => void },
): Promise<{ rotated: number; remaining: number; failed: string[] }> {
  let total = 0;
  const failed: string[] = [];
  for (;;) {
    const p = await rotateWalletKeysBatch(em.fork(), ring, opts.batchSize, failed);
    total += p.rotated;
    failed.push(...p.failed);
    opts.onProgress?.(p);
    // Nothing new taken: done, or the rest is failed rows or locked by another rotator.
    if ((p.rotated === 0 && p.failed.length === 0) || p.remaining === failed.length) return { rotated: total, remaining: p.remaining, failed };
  }
}
