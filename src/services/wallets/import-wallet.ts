import type { Network } from '../../entities/enums.js';
import type { Wallet } from '../../entities/wallet.entity.js';
import { recordAudit } from '../audit/record-audit.js';
import { requireSiteId } from '../auth/actor.js';
import { addressOfPrivateKey, normalizePrivateKey } from '../chain/private-key.js';
import { isUniqueViolation } from '../errors.js';
import type { Scope } from '../scope.js';
import { newWalletRow } from './create-wallet-rows.js';
import { DuplicateWalletError } from './errors.js';

/** Adds an existing wallet by private key: validated, address derived, sealed; a known address is a CONFLICT. */
export async function importWallet(scope: Scope, input: { network: Network; privateKey: string; label?: string | null }): Promise<Wallet> {
  const siteId = requireSiteId(scope);
  const label = input.label?.trim() || null;
  const ring = scope.deps.keyring;
  const privateKeyHex = normalizePrivateKey(input.privateKey);
  const address = addressOfPrivateKey(input.network, privateKeyHex);
  try {
    return await scope.em.transactional(async (tx) => {
      const wallet = newWalletRow(tx, siteId, input.network, address, privateKeyHex, ring, label);
      tx.persist(wallet);
      recordAudit(tx, scope, { action: 'wallet.imported', targetType: 'Wallet', targetId: wallet.id, details: { network: input.network, address } });
      return wallet;
    });
  } catch (e) {
    if (isUniqueViolation(e, 'wallet_network_address_unique')) throw new DuplicateWalletError();
    throw e;
  }
}
