/** Fireblocks as the tests play it: RSA keys, v1 and v2 signatures made the way Fireblocks makes them. */
import { createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';

export interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  publicKeyPem: string;
  /** The public half as a JWKS entry. */
  jwk: Record<string, string>;
}

export function signingKey(kid: string): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' }) as Record<string, string>;
  return {
    kid,
    privateKey,
    publicKeyPem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    jwk: { ...jwk, kid, use: 'sig', alg: 'RS512' },
  };
}

/** v1 `Fireblocks-Signature`: base64 RSA-SHA512 over the raw body. */
export function signV1(body: string | Buffer, key: SigningKey): string {
  return createSign('RSA-SHA512').update(body).sign(key.privateKey, 'base64');
}

/** v2 `Fireblocks-Webhook-Signature`: compact JWS over the body with the payload segment left out. */
export async function signV2(body: string | Buffer, key: SigningKey): Promise<string> {
  const jws = await new CompactSign(Buffer.from(body)).setProtectedHeader({ alg: 'RS512', kid: key.kid }).sign(key.privateKey);
  const [h, , s] = jws.split('.');
  return `${h}..${s}`;
}

/** A really RS512-signed detached JWS with any header we like (jose would refuse some, e.g. unknown crit). */
export function signV2WithHeader(body: string | Buffer, key: SigningKey, header: Record<string, unknown>): string {
  const h = Buffer.from(JSON.stringify(header)).toString('base64url');
  const signature = createSign('RSA-SHA512').update(`${h}.${Buffer.from(body).toString('base64url')}`).sign(key.privateKey, 'base64url');
  return `${h}..${signature}`;
}

/** A JWS header we write by hand (for algorithms jose would refuse to produce with an RSA key). */
export function forgedV2(header: Record<string, unknown>, signature = ''): string {
  return `${Buffer.from(JSON.stringify(header)).toString('base64url')}..${signature}`;
}

/** A Fireblocks-like event body; `id` makes it unique so the replay filter does not fold tests together. */
export function eventBody(id: string): string {
  return JSON.stringify({ type: 'transaction.status.updated', timestamp: Date.now(), data: { id, externalTxId: `rel-${id}`, status: 'COMPLETED' } });
}
