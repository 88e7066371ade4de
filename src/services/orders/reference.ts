import { randomBytes } from 'node:crypto';

/** Crockford base32: no I, L, O or U, so a reference read out over the phone is not misheard. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const LENGTH = 12;

/**
 * A customer-facing order reference like `VL-7K2M9QX4D1BA`: 60 random bits, so it reveals nothing
 * about order volume and collides (unique per site) with odds of about 1 in 2 million at a million
 * orders; the insert would then fail and the client retry.
 */
export function newOrderReference(): string {
  const bytes = randomBytes(LENGTH);
  let s = '';
  for (const b of bytes) s += ALPHABET[b & 31];
  return `VL-${s}`;
}
