import { randomBytes } from 'node:crypto';
import { Wallet as EthersWallet, computeAddress, getAddress } from 'ethers';
import { TronWeb, utils as tronUtils } from 'tronweb';
import { Network } from '../../entities/enums.js';
import { InvalidInputError } from '../errors.js';

/** secp256k1 group order: a private key must be in [1, n-1]. */
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

export class InvalidPrivateKeyError extends InvalidInputError {
  constructor(why: string) {
    // Never echo the key: the message names the problem only.
    super(`privateKey is invalid: ${why}`, { field: 'privateKey' });
  }
}

/** Validates a hex private key (with or without 0x) and returns it as 64 lower-case hex chars. */
export function normalizePrivateKey(input: string): string {
  const hex = (typeof input === 'string' ? input.trim() : '').replace(/^0x/i, '');
  if (hex.length !== 64) throw new InvalidPrivateKeyError('expected 32 bytes as 64 hex characters');
  if (!/^[0-9a-fA-F]{64}$/.test(hex)) throw new InvalidPrivateKeyError('not hexadecimal');
  const n = BigInt(`0x${hex}`);
  if (n === 0n) throw new InvalidPrivateKeyError('zero is not a key');
  if (n >= SECP256K1_N) throw new InvalidPrivateKeyError('above the secp256k1 curve order');
  return hex.toLowerCase();
}

/** The deposit address a private key controls on a network (canonical form). */
export function addressOfPrivateKey(network: Network, privateKeyHex: string): string {
  const evm = new EthersWallet(`0x${privateKeyHex}`).address;
  switch (network) {
    case Network.ETHEREUM:
      return getAddress(evm);
    case Network.TRON:
      // A TRON account is the same secp256k1 key; its address is 0x41 + the EVM address, base58check.
      return TronWeb.address.fromHex(`41${evm.slice(2)}`);
  }
}

export interface GeneratedKey {
  privateKeyHex: string;
  address: string;
}

/** A fresh key pair, made offline by the chain's own library. */
export function generateKey(network: Network): GeneratedKey {
  switch (network) {
    case Network.ETHEREUM: {
      // 32 random bytes, not Wallet.createRandom(): that derives an HD wallet from a mnemonic
      // (PBKDF2, ~8 ms per key) for nothing we use. Out-of-range values are astronomically rare.
      let privateKeyHex: string;
      do privateKeyHex = randomBytes(32).toString('hex');
      while (BigInt(`0x${privateKeyHex}`) === 0n || BigInt(`0x${privateKeyHex}`) >= SECP256K1_N);
      return { privateKeyHex, address: computeAddress(`0x${privateKeyHex}`) };
    }
    case Network.TRON: {
      const account = tronUtils.accounts.generateAccount();
      return { privateKeyHex: account.privateKey.toLowerCase(), address: account.address.base58 };
    }
  }
}
