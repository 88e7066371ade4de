import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { Keyring } from '../wallet-keys/master-keys.js';

const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** What a sealed secret belongs to: moved to another row or purpose, it no longer opens. */
export interface SecretBinding {
  purpose: 'webhook-secret';
  id: string;
}

export interface SealedSecret {
  /** nonce (12) | ciphertext | GCM tag (16) */
  sealed: Buffer;
  keyVersion: number;
}

function dataKey(master: Buffer, b: SecretBinding): Buffer {
  return Buffer.from(hkdfSync('sha256', master, `vestline-${b.purpose}`, `${b.purpose}:${b.id}`, 32));
}

const aad = (b: SecretBinding) => Buffer.from(`vestline:${b.purpose}:v1:${b.id}`, 'utf8');

/**
 * Secrets other than wallet keys (webhook signing secrets), under the same master keys
 * (WALLET_MASTER_KEYS) and the same construction as wallet-key-cipher.ts: a per-record key derived
 * with HKDF, AES-256-GCM with a fresh nonce, the record bound in as associated data.
 */
export function sealSecret(plain: Buffer, binding: SecretBinding, ring: Keyring): SealedSecret {
  const nonce = randomBytes(NONCE_BYTES);
  const key = dataKey(ring.newest.key, binding);
  try {
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(aad(binding));
    const body = Buffer.concat([cipher.update(plain), cipher.final()]);
    return { sealed: Buffer.concat([nonce, body, cipher.getAuthTag()]), keyVersion: ring.newest.version };
  } finally {
    key.fill(0);
  }
}

export function openSecret(s: SealedSecret, binding: SecretBinding, ring: Keyring): Buffer {
  const master = ring.get(s.keyVersion);
  if (!master) throw new Error(`${binding.purpose} ${binding.id}: master key version ${s.keyVersion} is not configured`);
  const key = dataKey(master.key, binding);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, s.sealed.subarray(0, NONCE_BYTES));
    decipher.setAAD(aad(binding));
    decipher.setAuthTag(s.sealed.subarray(s.sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(s.sealed.subarray(NONCE_BYTES, s.sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new Error(`${binding.purpose} ${binding.id}: cannot be decrypted (wrong master key or tampered)`);
  } finally {
    key.fill(0);
  }
}
