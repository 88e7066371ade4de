/**
 * Fireblocks webhook signatures, checked over the raw body bytes (never re-serialised JSON):
 * - v2 `Fireblocks-Webhook-Signature`: compact JWS with a detached (empty) payload, RS512, `kid` from
 *   the JWKS. Any other `alg` is refused: the header is attacker-controlled and "none"/HS512 are the
 *   classic ways around a JWS check.
 * - v1 `Fireblocks-Signature`: base64 RSA-SHA512 over the body, tried against every static key (two
 *   during a rotation).
 * Fireblocks sends both during its migration; either one verifying is enough, v2 is tried first.
 */
import { base64Decode, base64UrlDecode, base64UrlEncode, utf8 } from './encoding.js';
import { RS512, type JwksCache } from './jwks.js';

export const V2_HEADER = 'fireblocks-webhook-signature';
export const V1_HEADER = 'fireblocks-signature';

export type SignatureCheck =
  | { ok: true; scheme: 'v2' | 'v1' }
  | { ok: false; reason: 'signature_missing' | 'signature_invalid' | 'jwks_unavailable'; detail: string };

type Attempt = { ok: true } | { ok: false; detail: string; unavailable?: boolean };

export interface SignatureKeys {
  staticKeys: readonly CryptoKey[];
  jwks: JwksCache | null;
}

async function verifyV2(jws: string, body: Uint8Array, jwks: JwksCache | null): Promise<Attempt> {
  const parts = jws.trim().split('.');
  if (parts.length !== 3) return { ok: false, detail: 'v2_malformed' };
  const [protectedB64, payload, sigB64] = parts as [string, string, string];
  if (payload !== '') return { ok: false, detail: 'v2_not_detached' };
  const headerBytes = base64UrlDecode(protectedB64);
  const signature = base64UrlDecode(sigB64);
  if (!headerBytes || !signature) return { ok: false, detail: 'v2_malformed' };
  let header: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(headerBytes));
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { ok: false, detail: 'v2_malformed' };
    header = parsed as Record<string, unknown>;
  } catch {
    return { ok: false, detail: 'v2_malformed' };
  }
  if (header.alg !== 'RS512') return { ok: false, detail: 'v2_alg_not_allowed' };
  // RFC 7515 4.1.11: extensions we do not implement (b64=false among them) must be refused.
  if (header.crit !== undefined) return { ok: false, detail: 'v2_crit_unsupported' };
  if (typeof header.kid !== 'string' || !header.kid) return { ok: false, detail: 'v2_kid_missing' };
  if (!jwks) return { ok: false, detail: 'v2_no_jwks_configured' };
  const found = await jwks.lookup(header.kid);
  if (found.kind === 'unavailable') return { ok: false, detail: 'v2_jwks_unavailable', unavailable: true };
  if (found.kind === 'unknown') return { ok: false, detail: 'v2_unknown_kid' };
  const signingInput = utf8(`${protectedB64}.${base64UrlEncode(body)}`);
  const good = await crypto.subtle.verify(RS512, found.key, signature, signingInput);
  return good ? { ok: true } : { ok: false, detail: 'v2_bad_signature' };
}

async function verifyV1(sigB64: string, body: Uint8Array, keys: readonly CryptoKey[]): Promise<Attempt> {
  const signature = base64Decode(sigB64);
  if (!signature || !signature.length) return { ok: false, detail: 'v1_malformed' };
  if (!keys.length) return { ok: false, detail: 'v1_no_keys_configured' };
  for (const key of keys) {
    if (await crypto.subtle.verify(RS512, key, signature, body)) return { ok: true };
  }
  return { ok: false, detail: 'v1_bad_signature' };
}

export async function verifyFireblocksSignature(headers: Headers, body: Uint8Array, keys: SignatureKeys): Promise<SignatureCheck> {
  const v2 = headers.get(V2_HEADER);
  const v1 = headers.get(V1_HEADER);
  if (!v2 && !v1) return { ok: false, reason: 'signature_missing', detail: 'no_signature_header' };
  const failures: Extract<Attempt, { ok: false }>[] = [];
  if (v2) {
    const r = await verifyV2(v2, body, keys.jwks);
    if (r.ok) return { ok: true, scheme: 'v2' };
    failures.push(r);
  }
  if (v1) {
    const r = await verifyV1(v1, body, keys.staticKeys);
    if (r.ok) return { ok: true, scheme: 'v1' };
    failures.push(r);
  }
  const detail = failures.map((f) => f.detail).join(',');
  // Only "we could not fetch keys" is worth a retry; every other failure is the request's fault.
  if (failures.some((f) => f.unavailable)) return { ok: false, reason: 'jwks_unavailable', detail };
  return { ok: false, reason: 'signature_invalid', detail };
}
