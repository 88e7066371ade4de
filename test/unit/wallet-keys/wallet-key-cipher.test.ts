import { randomBytes } from 'node:crypto';
import { Network } from '../../../src/entities/enums.js';
import { keyring, parseMasterKeys, type MasterKey } from '../../../src/services/wallet-keys/master-keys.js';
import { WalletKeyDecryptionError, resealWalletKey, sealWalletKey, withWalletKey } from '../../../src/services/wallet-keys/wallet-key-cipher.js';

const k = (version: number): MasterKey => ({ version, key: randomBytes(32) });
const binding = { walletId: '6f1c0b52-3a7e-4a43-9d55-2f1e4b0b8f01', network: Network.TRON, address: 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t' };
const secret = () => randomBytes(32);

describe('wallet key sealing', () => {
  it('opens what it sealed, with the key version stored', () => {
    const v1 = k(1);
    const plain = secret();
    const sealed = sealWalletKey(plain, binding, v1);
    expect(sealed.keyVersion).toBe(1);
    expect(sealed.sealed.length).toBe(12 + 32 + 16);
    expect(sealed.sealed.includes(plain)).toBe(false);
    expect(withWalletKey(sealed, binding, keyring([v1]), (p) => Buffer.from(p))).toEqual(plain);
  });

  it('uses a fresh nonce every time', () => {
    const v1 = k(1);
    const plain = secret();
    const nonces = new Set(Array.from({ length: 50 }, () => sealWalletKey(plain, binding, v1).sealed.subarray(0, 12).toString('hex')));
    expect(nonces.size).toBe(50);
  });

  it('zeroes the plaintext buffer once the caller is done', () => {
    const v1 = k(1);
    const sealed = sealWalletKey(secret(), binding, v1);
    let seen: Buffer | undefined;
    withWalletKey(sealed, binding, keyring([v1]), (p) => (seen = p));
    expect(seen!.every((b) => b === 0)).toBe(true);
  });

  it.each([
    ['another wallet id', { ...binding, walletId: '6f1c0b52-3a7e-4a43-9d55-2f1e4b0b8f02' }],
    ['another address', { ...binding, address: 'TNXNsmi4ZCe3Bn5BMuPwU978kCdkWBGszn' }],
    ['another network', { ...binding, network: Network.ETHEREUM }],
  ])('refuses to open a ciphertext copied onto %s', (_what, other) => {
    const v1 = k(1);
    const sealed = sealWalletKey(secret(), binding, v1);
    expect(() => withWalletKey(sealed, other, keyring([v1]), () => 'used')).toThrow(WalletKeyDecryptionError);
  });

  it('refuses a tampered ciphertext loudly and never calls the user', () => {
    const v1 = k(1);
    const sealed = sealWalletKey(secret(), binding, v1);
    for (const i of [0, 12, 30, sealed.sealed.length - 1]) {
      const bad = Buffer.from(sealed.sealed);
      bad[i]! ^= 0x01;
      let used = false;
      expect(() => withWalletKey({ sealed: bad, keyVersion: 1 }, binding, keyring([v1]), () => (used = true))).toThrow(/authentication failed/);
      expect(used).toBe(false);
    }
  });

  it('refuses the wrong master key and an unknown version', () => {
    const sealed = sealWalletKey(secret(), binding, k(1));
    expect(() => withWalletKey(sealed, binding, keyring([k(1)]), () => 1)).toThrow(/authentication failed/);
    expect(() => withWalletKey(sealed, binding, keyring([k(2)]), () => 1)).toThrow(/version 1 is not configured/);
  });

  it('reseals under the newest key, and the old key no longer opens it', () => {
    const v1 = k(1);
    const v2 = k(2);
    const plain = secret();
    const sealed = sealWalletKey(plain, binding, v1);
    const ring = keyring([v2, v1]);
    const resealed = resealWalletKey(sealed, binding, ring);
    expect(resealed.keyVersion).toBe(2);
    expect(withWalletKey(resealed, binding, ring, (p) => Buffer.from(p))).toEqual(plain);
    expect(() => withWalletKey({ ...resealed, keyVersion: 1 }, binding, ring, () => 1)).toThrow(/authentication failed/);
  });
});

describe('WALLET_MASTER_KEYS parsing', () => {
  const b64 = () => randomBytes(32).toString('base64');
  it('parses versions newest first', () => {
    const r = parseMasterKeys(`3:${b64()}, 1:${b64()}`);
    expect(r.ok && r.keys.map((x) => x.version)).toEqual([3, 1]);
  });

  it.each([
    ['empty', ''],
    ['no version', b64()],
    ['a short key', `1:${randomBytes(16).toString('base64')}`],
    ['not base64', `1:${'!'.repeat(43)}=`],
    ['duplicate versions', `1:${b64()},1:${b64()}`],
    ['oldest first', `1:${b64()},2:${b64()}`],
  ])('refuses %s without printing the key', (_what, spec) => {
    const r = parseMasterKeys(spec);
    expect(r.ok).toBe(false);
    if (!r.ok && spec.includes(':')) expect(r.problem).not.toContain(spec.split(':')[1]!.slice(0, 10));
  });
});
