import type { EntityManager } from '@mikro-orm/postgresql';
import type { Network } from '../../entities/enums.js';
import type { Wallet } from '../../entities/wallet.entity.js';
import { recordAudit } from '../audit/record-audit.js';
import { requireSiteId, type RequestScope } from '../auth/actor.js';
import { generateKey } from '../chain/private-key.js';
import type { Keyring } from '../wallet-keys/master-keys.js';
import { InvalidInputError } from '../errors.js';
import { newWalletRow } from './create-wallet-rows.js';

export const MAX_GENERATE = 500;

/** Generates `count` fresh deposit wallets offline and stores them, keys sealed, in one transaction. */
export async function generateWallets(
  em: EntityManager,
  scope: Pick<RequestScope, 'actor' | 'siteId' | 'ip'>,
  input: { network: Network; count: number; labelPrefix?: string | null },
  ring: Keyring,
): Promise<Wallet[]> {
  const siteId = requireSiteId(scope);
  if (!Number.isInteger(input.count) || input.count < 1 || input.count > MAX_GENERATE) {
    throw new InvalidInputError(`count must be between 1 and ${MAX_GENERATE}`, { field: 'count' });
  }
  const prefix = input.labelPrefix?.trim() || null;
  if (prefix && prefix.length > 60) throw new InvalidInputError('labelPrefix must be at most 60 characters', { field: 'labelPrefix' });

  return em.transactional(async (tx) => {
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
