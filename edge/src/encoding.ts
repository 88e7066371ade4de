/**
 * Byte <-> text helpers for the HMAC and the replay key (workers have no Buffer). Signature encodings
 * (base64, base64url) are jose's, in src/services/payouts/fireblocks-signature.ts.
 */

const encoder = new TextEncoder();

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let s = '';
  for (const b of view) s += b.toString(16).padStart(2, '0');
  return s;
}
