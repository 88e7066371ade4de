import type { EntityManager } from '@mikro-orm/postgresql';
import type { Network } from '../../entities/enums.js';
import type { Keyring } from './master-keys.js';
import { resealWalletKey } from './wallet-key-cipher.js';

export interface RotationProgress {
  rotated: number;
  remaining: number;
  newestVersion: number;
}

/**
 * Re-encrypts one batch of wallets that are not yet under the newest master key. Each batch is its own
 * transaction and takes its rows with SKIP LOCKED, so rotation is resumable after a crash (progress is
 * the data itself) and two rotators never fight over a row.
 */
export async function rotateWalletKeysBatch(em: EntityManager, ring: Keyring, batchSize: number): Promise<RotationProgress> {
  const newest = ring.newest.version;
  const rotated = await em.transactional(async (tx) => {
    const rows = await tx.execute<{ id: string; network: Network; address: string; sealed_key: Buffer; key_version: number }[]>(
      `select id, network, address, sealed_key, key_version from wallet where key_version <> ? order by id limit ? for update skip locked`,
      [newest, batchSize],
    );
    for (const r of rows) {
      const resealed = resealWalletKey({ sealed: r.sealed_key, keyVersion: r.key_version }, { walletId: r.id, network: r.network, address: r.address }, ring);
      await tx.execute(`update wallet set sealed_key = ?, key_version = ?, updated_at = updated_at where id = ? and key_version = ?`, [resealed.sealed, resealed.keyVersion, r.id, r.key_version]);
    }
    return rows.length;
  });
  const [{ n }] = await em.execute<{ n: string }[]>(`select count(*) as n from wallet where key_version <> ?`, [newest]) as [{ n: string }];
  return { rotated, remaining: Number(n), newestVersion: newest };
}

/** Runs batches until every wallet is under the newest key, reporting progress after each batch. */
export async function rotateAllWalletKeys(
  em: EntityManager,
  ring: Keyring,
  opts: { batchSize: number; onProgress?: (p: RotationProgress) => void },
): Promise<{ rotated: number; remaining: number }> {
  let total = 0;
  for (;;) {
    const p = await rotateWalletKeysBatch(em.fork(), ring, opts.batchSize);
    total += p.rotated;
    opts.onProgress?.(p);
    // Nothing taken this round: done, or the rest is locked by another rotator that will finish it.
    if (p.rotated === 0 || p.remaining === 0) return { rotated: total, remaining: p.remaining };
  }
}
