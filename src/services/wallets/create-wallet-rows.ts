import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Network } from '../../entities/enums.js';
import { Site } from '../../entities/site.entity.js';
import { Wallet } from '../../entities/wallet.entity.js';
import type { Keyring } from '../wallet-keys/master-keys.js';
import { sealWalletKey } from '../wallet-keys/wallet-key-cipher.js';

/**
 * Builds a wallet row with its key sealed under the newest master key. The plaintext key is copied
 * into a Buffer that is zeroed right after sealing.
 */
export function newWalletRow(em: EntityManager, siteId: string, network: Network, address: string, privateKeyHex: string, ring: Keyring, label: string | null): Wallet {
  const wallet = new Wallet();
  wallet.id = randomUUID();
  wallet.site = em.getReference(Site, siteId);
  wallet.network = network;
  wallet.address = address;
  wallet.label = label;
  const plain = Buffer.from(privateKeyHex, 'hex');
  try {
    const sealed = sealWalletKey(plain, { walletId: wallet.id, network, address }, ring.newest);
    wallet.sealedKey = sealed.sealed;
    wallet.keyVersion = sealed.keyVersion;
  } finally {
    plain.fill(0);
  }
  return wallet;
}
