import { getAddress, sha256, decodeBase58, toBeHex } from 'ethers';
import { Network } from '../../entities/enums.js';
import { InvalidInputError } from '../errors.js';

export class InvalidAddressError extends InvalidInputError {}

/**
 * Every address that enters the system passes here and leaves in one canonical form:
 * EVM as EIP-55 checksummed hex, TRON as base58check `T…`.
 */
export function canonicalAddress(network: Network, input: string, field = 'address'): string {
  const value = typeof input === 'string' ? input : '';
  switch (network) {
    case Network.ETHEREUM:
      return canonicalEvmAddress(value, field);
    case Network.TRON:
      return canonicalTronAddress(value, field);
  }
}

function canonicalEvmAddress(input: string, field: string): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(input)) throw new InvalidAddressError(`${field} is not a 0x-prefixed 20-byte hex address`, { field });
  // All-lower and all-upper carry no checksum; mixed case must match EIP-55 exactly (getAddress throws).
  try {
    return getAddress(input);
  } catch {
    throw new InvalidAddressError(`${field} fails its EIP-55 checksum`, { field });
  }
}

const TRON_VERSION_BYTE = '41';

function canonicalTronAddress(input: string, field: string): string {
  if (!/^T[1-9A-HJ-NP-Za-km-z]{33}$/.test(input)) throw new InvalidAddressError(`${field} is not a base58 TRON address starting with T`, { field });
  const hex = toBeHex(decodeBase58(input), 25).slice(2);
  const payload = hex.slice(0, 42);
  const checksum = hex.slice(42);
  if (!payload.startsWith(TRON_VERSION_BYTE)) throw new InvalidAddressError(`${field} does not have the TRON 0x41 version byte`, { field });
  const expected = sha256(sha256(`0x${payload}`)).slice(2, 10);
  if (checksum !== expected) throw new InvalidAddressError(`${field} fails its base58check checksum`, { field });
  return input;
}

/** The 20-byte account of a TRON address, as 0x hex (for ABI encoding). */
export function tronAddressToEvmHex(base58: string): string {
  const hex = toBeHex(decodeBase58(canonicalTronAddress(base58, 'address')), 25).slice(2);
  return `0x${hex.slice(2, 42)}`;
}

/**
 * The network an address belongs to, by its form (domain.md, Money): EVM hex is Ethereum, base58 `T…`
 * is TRON. Returns the canonical address with it; anything else is BAD_USER_INPUT.
 */
export function addressWithNetwork(input: string, field = 'address'): { network: Network; address: string } {
  const value = typeof input === 'string' ? input : '';
  if (value.startsWith('0x') || value.startsWith('0X')) return { network: Network.ETHEREUM, address: canonicalEvmAddress(value, field) };
  if (value.startsWith('T')) return { network: Network.TRON, address: canonicalTronAddress(value, field) };
  throw new InvalidAddressError(`${field} is neither an Ethereum (0x…) nor a TRON (T…) address`, { field });
}
