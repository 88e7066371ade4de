import type { Network } from '../../entities/enums.js';
import type { Wallet } from '../../entities/wallet.entity.js';
import { recordAudit } from '../audit/record-audit.js';
import { requireSiteId } from '../auth/actor.js';
import { generateKey } from '../chain/private-key.js';
import type { Scope } from '../scope.js';
import { newWalletRow } from './create-wallet-rows.js';

export const MAX_GENERATE = 500;

/** Generates `count` fresh deposit wallets offline and stores them, keys sealed, in one transaction. */
export async function generateWallets(scope: Scope, input: { network: Network; count: number; labelPrefix?: string | null }): Promise<Wallet[]> {
  const siteId = requireSiteId(scope);
  // The input class bounds count to 1-MAX_GENERATE; a job caller stays inside it by construction.
  if (!Number.isInteger(input.count) || input.count < 1 || input.count > MAX_GENERATE) throw new RangeError(`count ${input.count} outside 1-${MAX_GENERATE}`);
  const prefix = input.labelPrefix?.trim() || null;
  const ring = scope.deps.keyring;

  return scope.em.transactional(async (tx) => {
    const wallets: Wallet[] = [];
    for (let i = 0; i < input.count; i++) {
      const key = generateKey(input.network);
      wallets.push(newWalletRow(tx, siteId, input.network, key.address, key.privateKeyHex, ring, prefix ? `${prefix}-${i + 1}` : null));
    }
    tx.persist(wallets);
    recordAudit(tx, scope, { action: 'wallet.generated', targetType: 'Wallet', targetId: wallets[0]!.id, details: { network: input.network, count: input.count, labelPrefix: prefix } });
    return wallets;
  });
}
