/**
 * Signs a webhook body the way Fireblocks does, both schemes at once, so the in-process MOCK custody
 * simulator (and the tests) deliver webhooks that go through the very same verification as real ones
 * (fireblocks-signature.ts). WebCrypto and `jose` only.
 * - v2 `Fireblocks-Webhook-Signature`: compact JWS over the raw body, RS512, protected header
 *   {alg, kid}, with the payload segment removed (`<protected>..<signature>`).
 * - v1 `Fireblocks-Signature`: base64 RSA-SHA512 (PKCS#1 v1.5) over the raw body.
 */
import { base64url, CompactSign, exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';
import { RS512 } from './fireblocks-signature.js';

export interface WebhookSigningKey {
  kid: string;
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** The public half as a JWKS entry: `{ kty, n, e, kid, alg: 'RS512', use: 'sig' }`. */
  publicJwk: JWK;
}

/** A fresh RSA-2048 RS512 key pair; the private half is not extractable. */
export async function generateSigningKey(kid: string): Promise<WebhookSigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS512', { modulusLength: 2048 });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg: 'RS512', use: 'sig' };
  return { kid, privateKey, publicKey, publicJwk };
}

/** The two signature header values for `body`: `v2` for Fireblocks-Webhook-Signature, `v1` for Fireblocks-Signature. */
export async function signFireblocksWebhook(body: Uint8Array, key: { privateKey: CryptoKey; kid: string }): Promise<{ v2: string; v1: string }> {
  const jws = await new CompactSign(body).setProtectedHeader({ alg: 'RS512', kid: key.kid }).sign(key.privateKey);
  const [protectedB64, , signature] = jws.split('.');
  const v1 = await crypto.subtle.sign(RS512, key.privateKey, body);
  return { v2: `${protectedB64}..${signature}`, v1: toBase64(new Uint8Array(v1)) };
}

function toBase64(bytes: Uint8Array): string {
  const url = base64url.encode(bytes).replace(/-/g, '+').replace(/_/g, '/');
  return url + '='.repeat((4 - (url.length % 4)) % 4);
}
