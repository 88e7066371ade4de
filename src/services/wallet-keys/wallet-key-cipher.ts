import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Network } from '../../entities/enums.js';
import type { Keyring, MasterKey } from './master-keys.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** What a ciphertext is bound to: copied onto another wallet row, it no longer decrypts. */
export interface KeyBinding {
  walletId: string;
  network: Network;
  address: string;
}

export interface SealedKey {
  /** nonce (12) | ciphertext | GCM tag (16) */
  sealed: Buffer;
  keyVersion: number;
}

export class WalletKeyDecryptionError extends Error {
  constructor(walletId: string, why: string) {
    super(`wallet ${walletId}: private key cannot be decrypted (${why})`);
    this.name = 'WalletKeyDecryptionError';
  }
}

/** One data key per wallet, derived from the master key, so no two records share an AES key. */
function dataKey(master: MasterKey, walletId: string): Buffer {
  return Buffer.from(hkdfSync('sha256', master.key, 'vestline-wallet-key', `wallet:${walletId}`, 32));
}

function aad(b: KeyBinding): Buffer {
  return Buffer.from(`vestline:wallet:v1:${b.walletId}:${b.network}:${b.address}`, 'utf8');
}

/** AES-256-GCM with a fresh random 96-bit nonce per encryption. */
export function sealWalletKey(privateKey: Buffer, binding: KeyBinding, master: MasterKey): SealedKey {
  const nonce = randomBytes(NONCE_BYTES);
  const key = dataKey(master, binding.walletId);
  try {
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(aad(binding));
    const body = Buffer.concat([cipher.update(privateKey), cipher.final()]);
    return { sealed: Buffer.concat([nonce, body, cipher.getAuthTag()]), keyVersion: master.version };
  } finally {
    key.fill(0);
  }
}

/**
 * The only place a wallet's private key is decrypted. The plaintext lives in a Buffer that is
 * zeroed as soon as `use` returns; nothing else in the code base ever sees it.
 */
export function withWalletKey<T>(sealed: SealedKey, binding: KeyBinding, ring: Keyring, use: (privateKey: Buffer) => T): T {
  const master = ring.get(sealed.keyVersion);
  if (!master) throw new WalletKeyDecryptionError(binding.walletId, `master key version ${sealed.keyVersion} is not configured`);
  if (sealed.sealed.length < NONCE_BYTES + TAG_BYTES + 1) throw new WalletKeyDecryptionError(binding.walletId, 'ciphertext too short');
  const key = dataKey(master, binding.walletId);
  const parts: Buffer[] = [];
  let plain: Buffer | undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.sealed.subarray(0, NONCE_BYTES));
    decipher.setAAD(aad(binding));
    decipher.setAuthTag(sealed.sealed.subarray(sealed.sealed.length - TAG_BYTES));
    try {
      parts.push(decipher.update(sealed.sealed.subarray(NONCE_BYTES, sealed.sealed.length - TAG_BYTES)), decipher.final());
      plain = Buffer.concat(parts);
    } catch {
      throw new WalletKeyDecryptionError(binding.walletId, 'authentication failed: wrong master key, tampered ciphertext or moved row');
    }
    return use(plain);
  } finally {
    key.fill(0);
    for (const p of parts) p.fill(0);
    plain?.fill(0);
  }
}

/** Re-encrypts under the newest master key without the plaintext leaving this module. */
export function resealWalletKey(sealed: SealedKey, binding: KeyBinding, ring: Keyring): SealedKey {
  return withWalletKey(sealed, binding, ring, (plain) => sealWalletKey(plain, binding, ring.newest));
}
