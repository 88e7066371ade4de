import fc from 'fast-check';
import { Wallet as EthersWallet, getAddress } from 'ethers';
import { TronWeb } from 'tronweb';
import { Network } from '../../../src/entities/enums.js';
import { canonicalAddress, tronAddressToEvmHex } from '../../../src/services/chain/address.js';
import { addressOfPrivateKey, generateKey, normalizePrivateKey } from '../../../src/services/chain/private-key.js';

const USDT_ERC20 = '0xdAC17F958D2ee523a2206206994597C13D831ec7';
const USDT_TRC20 = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';

describe('EVM addresses', () => {
  it('accepts checksummed, lower-case and upper-case forms and returns EIP-55', () => {
    expect(canonicalAddress(Network.ETHEREUM, USDT_ERC20)).toBe(USDT_ERC20);
    expect(canonicalAddress(Network.ETHEREUM, USDT_ERC20.toLowerCase())).toBe(USDT_ERC20);
    expect(canonicalAddress(Network.ETHEREUM, `0x${USDT_ERC20.slice(2).toUpperCase()}`)).toBe(USDT_ERC20);
  });

  it.each([
    ['a broken checksum', '0xdac17F958D2ee523a2206206994597C13D831ec7'],
    ['no 0x', 'dAC17F958D2ee523a2206206994597C13D831ec7'],
    ['19 bytes', '0xdAC17F958D2ee523a2206206994597C13D831e'],
    ['non-hex', '0xgAC17F958D2ee523a2206206994597C13D831ec7'],
    ['spaces', ` ${USDT_ERC20}`],
    ['a TRON address', USDT_TRC20],
  ])('refuses %s', (_what, a) => {
    expect(() => canonicalAddress(Network.ETHEREUM, a)).toThrow(expect.objectContaining({ reason: 'INVALID_INPUT' }));
  });
});

describe('TRON addresses', () => {
  it('accepts a real base58check address', () => {
    expect(canonicalAddress(Network.TRON, USDT_TRC20)).toBe(USDT_TRC20);
    expect(tronAddressToEvmHex(USDT_TRC20).toLowerCase()).toBe(`0x${TronWeb.address.toHex(USDT_TRC20).slice(2).toLowerCase()}`);
  });

  it.each([
    ['a changed character (checksum)', USDT_TRC20.slice(0, -1) + (USDT_TRC20.endsWith('t') ? 'u' : 't')],
    ['hex form', TronWeb.address.toHex(USDT_TRC20)],
    ['an EVM address', USDT_ERC20],
    ['a base58 address with another version byte (Bitcoin)', '1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2'],
    ['base58 alphabet violation (0)', 'T0000000000000000000000000000000000'],
    ['too short', 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6'],
  ])('refuses %s', (_what, a) => {
    expect(() => canonicalAddress(Network.TRON, a)).toThrow(expect.objectContaining({ reason: 'INVALID_INPUT' }));
  });

  it('agrees with TronWeb on generated and mutated addresses', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.nat({ max: 33 }), (bytes, pos) => {
        const address = TronWeb.address.fromHex(`41${Buffer.from(bytes).toString('hex')}`);
        expect(canonicalAddress(Network.TRON, address)).toBe(address);
        const alphabet = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
        const i = 1 + (pos % 33);
        const swapped = alphabet[(alphabet.indexOf(address[i]!) + 1) % alphabet.length]!;
        const mutated = address.slice(0, i) + swapped + address.slice(i + 1);
        let ours = true;
        try {
          canonicalAddress(Network.TRON, mutated);
        } catch {
          ours = false;
        }
        expect(ours).toBe(TronWeb.isAddress(mutated));
      }),
      { numRuns: 200 },
    );
  });
});

describe('private keys', () => {
  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  it.each([
    ['wrong length', 'ab'.repeat(31)],
    ['not hex', 'zz'.repeat(32)],
    ['zero', '00'.repeat(32)],
    ['the curve order', n.toString(16)],
    ['above the curve order', (n + 1n).toString(16)],
    ['all ones', 'ff'.repeat(32)],
  ])('refuses %s without echoing the key', (_what, key) => {
    let message = '';
    try {
      normalizePrivateKey(key);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^privateKey is invalid/);
    expect(message).not.toContain(key);
  });

  it('accepts 0x, mixed case and the largest valid key', () => {
    expect(normalizePrivateKey(`0x${'AB'.repeat(32)}`)).toBe('ab'.repeat(32));
    expect(normalizePrivateKey((n - 1n).toString(16))).toBe((n - 1n).toString(16));
  });

  it('derives the same addresses as the chain libraries', () => {
    for (let i = 0; i < 5; i++) {
      const w = EthersWallet.createRandom();
      const hex = w.privateKey.slice(2);
      expect(addressOfPrivateKey(Network.ETHEREUM, hex)).toBe(getAddress(w.address));
      expect(addressOfPrivateKey(Network.TRON, hex)).toBe(TronWeb.address.fromPrivateKey(hex));
    }
  });

  it('generates keys whose address matches and validates on each network', () => {
    for (const network of [Network.ETHEREUM, Network.TRON]) {
      const k = generateKey(network);
      expect(addressOfPrivateKey(network, normalizePrivateKey(k.privateKeyHex))).toBe(k.address);
      expect(canonicalAddress(network, k.address)).toBe(k.address);
    }
  });
});
