/**
 * The shared Fireblocks webhook verification (src/services/payouts/fireblocks-signature.ts) in Node:
 * both schemes, every refusal, and the JWKS cache against a real local node:http JWKS endpoint. Webhooks
 * are signed with webhook-signer.ts, as the MOCK custody simulator signs them; forgeries are made by
 * hand. The same module runs in workerd behind the edge worker (test/edge/signatures.test.ts).
 * Refresh rules are checked on a driven clock: jose and the module read the time from Date.now().
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jest } from '@jest/globals';
import { base64url, CompactSign, errors, exportJWK, exportSPKI, type CryptoKey, type JWK } from 'jose';
import {
  combinedJwks,
  importStaticKeys,
  JwksUnavailableError,
  localJwks,
  remoteJwks,
  usableJwks,
  V1_HEADER,
  V2_HEADER,
  verifyFireblocksSignature,
  type JWKSResolver,
  type WebhookKeys,
} from '../../../src/services/payouts/fireblocks-signature.js';
import { generateSigningKey, signFireblocksWebhook, type WebhookSigningKey } from '../../../src/services/payouts/webhook-signer.js';

const MIN_REFRESH_MS = 60_000;
/** WebCrypto's CryptoKeyPair (Node's types have no global name for it). */
type KeyPair = { privateKey: CryptoKey; publicKey: CryptoKey };
const enc = new TextEncoder();

interface JwksEndpoint {
  url: string;
  keys: JWK[];
  hits: number;
  /** 'ok' serves the keys; '503' answers 503; 'garbage' answers 200 with a body that is not a JWKS. */
  mode: 'ok' | '503' | 'garbage';
  stop(): Promise<void>;
}

async function startJwksEndpoint(keys: JWK[]): Promise<JwksEndpoint> {
  const ep: JwksEndpoint = { url: '', keys, hits: 0, mode: 'ok', stop: async () => undefined };
  const server: Server = createServer((_req, res) => {
    ep.hits++;
    if (ep.mode === '503') return void res.writeHead(503).end();
    if (ep.mode === 'garbage') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>maintenance</html>');
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=3600' }).end(JSON.stringify({ keys: ep.keys }));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  ep.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  ep.stop = () => {
    server.closeAllConnections();
    return new Promise((ok) => server.close(() => ok()));
  };
  return ep;
}

const headersOf = (h: Record<string, string>) => new Headers(h);
let seq = 0;
const nextBody = () => enc.encode(JSON.stringify({ type: 'transaction.status.updated', timestamp: 1_800_000_000_000 + ++seq, data: { id: `tx-${seq}`, externalTxId: `rel-${seq}`, status: 'COMPLETED' } }));

/** A detached JWS with any header, really RS512-signed with `privateKey` (jose will not write some of these headers). */
async function rs512WithHeader(body: Uint8Array, privateKey: CryptoKey, header: Record<string, unknown>): Promise<string> {
  const h = base64url.encode(JSON.stringify(header));
  const input = enc.encode(`${h}.${base64url.encode(body)}`);
  const sig = new Uint8Array(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', privateKey, input));
  return `${h}..${base64url.encode(sig)}`;
}

function forged(header: Record<string, unknown>, signature = ''): string {
  return `${base64url.encode(JSON.stringify(header))}..${signature}`;
}

let oldKey: WebhookSigningKey;
let newKey: WebhookSigningKey;
/** Same kid as oldKey, different key material: an attacker's key. */
let impostor: WebhookSigningKey;
let oldPem: string;
let newPem: string;

beforeAll(async () => {
  [oldKey, newKey, impostor] = await Promise.all([generateSigningKey('fb-2025-01'), generateSigningKey('fb-2026-01'), generateSigningKey('fb-2025-01')]);
  [oldPem, newPem] = await Promise.all([exportSPKI(oldKey.publicKey), exportSPKI(newKey.publicKey)]);
});

describe('webhook-signer', () => {
  it('signs v2 as a detached RS512 JWS with {alg, kid} and v1 as standard base64', async () => {
    const body = nextBody();
    const { v2, v1 } = await signFireblocksWebhook(body, oldKey);
    const [h, payload, s] = v2.split('.');
    expect(payload).toBe('');
    expect(JSON.parse(new TextDecoder().decode(base64url.decode(h!)))).toEqual({ alg: 'RS512', kid: 'fb-2025-01' });
    expect(s).toMatch(/^[A-Za-z0-9_-]{342}$/); // 256 bytes
    expect(v1).toMatch(/^[A-Za-z0-9+/]{342}==$/);
    expect(oldKey.publicJwk).toMatchObject({ kty: 'RSA', kid: 'fb-2025-01', alg: 'RS512', use: 'sig' });
    expect(oldKey.publicJwk.d).toBeUndefined();
    expect(oldKey.privateKey.extractable).toBe(false);
  });
});

describe('v2 and v1 against fixed keys', () => {
  let keys: WebhookKeys;
  beforeAll(async () => {
    keys = { staticKeys: await importStaticKeys(`${oldPem}\n${newPem}`), jwks: localJwks({ keys: [oldKey.publicJwk, newKey.publicJwk] }) };
  });

  it('accepts a good v2, and a good v1', async () => {
    const body = nextBody();
    const { v2, v1 } = await signFireblocksWebhook(body, oldKey);
    expect(await verifyFireblocksSignature(headersOf({ [V2_HEADER]: v2 }), body, keys)).toEqual({ ok: true, scheme: 'v2' });
    expect(await verifyFireblocksSignature(headersOf({ [V1_HEADER]: v1 }), body, keys)).toEqual({ ok: true, scheme: 'v1' });
    // Both sent (Fireblocks' migration): v2 is preferred.
    expect(await verifyFireblocksSignature(headersOf({ [V2_HEADER]: v2, [V1_HEADER]: v1 }), body, keys)).toEqual({ ok: true, scheme: 'v2' });
  });

  it('takes any `get(name)` (an express request adapter), header names in any case', async () => {
    const body = nextBody();
    const { v1 } = await signFireblocksWebhook(body, newKey);
    const raw: Record<string, string> = { 'Fireblocks-Signature': v1 };
    const adapter = { get: (name: string) => Object.entries(raw).find(([k]) => k.toLowerCase() === name)?.[1] ?? null };
    expect(await verifyFireblocksSignature(adapter, body, keys)).toEqual({ ok: true, scheme: 'v1' });
  });

  it('v1 during a rotation: a body signed by either configured key verifies', async () => {
    for (const key of [oldKey, newKey]) {
      const body = nextBody();
      const { v1 } = await signFireblocksWebhook(body, key);
      expect(await verifyFireblocksSignature(headersOf({ [V1_HEADER]: v1 }), body, keys)).toEqual({ ok: true, scheme: 'v1' });
    }
    // Once the old key is removed from the configuration, its signatures stop verifying.
    const body = nextBody();
    const { v1 } = await signFireblocksWebhook(body, oldKey);
    const rotated = { staticKeys: await importStaticKeys(newPem), jwks: null };
    expect(await verifyFireblocksSignature(headersOf({ [V1_HEADER]: v1 }), body, rotated)).toEqual({ ok: false, reason: 'signature_invalid', detail: 'v1_bad_signature' });
  });

  it('an unsigned request is signature_missing', async () => {
    expect(await verifyFireblocksSignature(headersOf({}), nextBody(), keys)).toEqual({ ok: false, reason: 'signature_missing', detail: 'no_signature_header' });
    expect(await verifyFireblocksSignature(headersOf({ [V1_HEADER]: '', [V2_HEADER]: '' }), nextBody(), keys)).toMatchObject({ reason: 'signature_missing' });
  });

  it('refuses a changed body under both schemes (one byte, or re-serialised JSON)', async () => {
    const body = nextBody();
    const { v2, v1 } = await signFireblocksWebhook(body, oldKey);
    const reformatted = enc.encode(JSON.stringify(JSON.parse(new TextDecoder().decode(body)), null, 1));
    const trailing = new Uint8Array([...body, 0x20]);
    for (const sent of [reformatted, trailing]) {
      expect(await verifyFireblocksSignature(headersOf({ [V2_HEADER]: v2 }), sent, keys)).toEqual({ ok: false, reason: 'signature_invalid', detail: 'v2_bad_signature' });
      expect(await verifyFireblocksSignature(headersOf({ [V1_HEADER]: v1 }), sent, keys)).toEqual({ ok: false, reason: 'signature_invalid', detail: 'v1_bad_signature' });
    }
  });

  it('refuses a signature by a key that is not configured (v1), or not the kid\'s (v2)', async () => {
    const body = nextBody();
    const { v2, v1 } = await signFireblocksWebhook(body, impostor);
    expect(await verifyFireblocksSignature(headersOf({ [V2_HEADER]: v2 }), body, keys)).toEqual({ ok: false, reason: 'signature_invalid', detail: 'v2_bad_signature' });
    expect(await verifyFireblocksSignature(headersOf({ [V1_HEADER]: v1 }), body, keys)).toEqual({ ok: false, reason: 'signature_invalid', detail: 'v1_bad_signature' });
    expect(await verifyFireblocksSignature(headersOf({ [V2_HEADER]: v2, [V1_HEADER]: v1 }), body, keys)).toEqual({
      ok: false,
      reason: 'signature_invalid',
      detail: 'v2_bad_signature,v1_bad_signature',
    });
  });

  it('falls back to v1 when v2 fails', async () => {
    const body = nextBody();
    const { v1 } = await signFireblocksWebhook(body, newKey);
    const { v2 } = await signFireblocksWebhook(body, impostor);
    expect(await verifyFireblocksSignature(headersOf({ [V2_HEADER]: v2, [V1_HEADER]: v1 }), body, keys)).toEqual({ ok: true, scheme: 'v1' });
  });

  describe('algorithm confusion: only RS512, decided before any key is looked up', () => {
    let lookups: number;
    let counting: WebhookKeys;
    beforeEach(() => {
      lookups = 0;
      const inner = keys.jwks!;
      counting = { staticKeys: [], jwks: (h, t) => (lookups++, inner(h, t)) };
    });

    it('refuses alg "none" (no signature at all)', async () => {
      const body = nextBody();
      for (const alg of ['none', 'None', 'NONE']) {
        expect(await verifyFireblocksSignature(headersOf({ [V2_HEADER]: forged({ alg, kid: oldKey.kid }) }), body, counting)).toEqual({
          ok: false,
          reason: 'signature_invalid',
          detail: 'v2_alg_not_allowed',
        });
      }
      expect(lookups).toBe(0);
    });

    it('refuses HS512 keyed with the RSA public key (PEM, DER or JWK bytes as the HMAC secret)', async () => {
      const body = nextBody();
      const der = new Uint8Array(await crypto.subtle.exportKey('spki', oldKey.publicKey));
      for (const secret of [enc.encode(oldPem), der, enc.encode(JSON.stringify(oldKey.publicJwk))]) {
        const [h, , s] = (await new CompactSign(body).setProtectedHeader({ alg: 'HS512', kid: oldKey.kid }).sign(secret)).split('.');
        expect(await verifyFireblocksSignature(headersOf({ [V2_HEADER]: `${h}..${s}` }), body, counting)).toEqual({
          ok: false,
          reason: 'signature_invalid',
          detail: 'v2_alg_not_allowed',
        });
      }
      expect(lookups).toBe(0);
    });

    it('refuses RS256, PS512 and a missing alg even when the right key signed', async () => {
      const body = nextBody();
      // WebCrypto binds a key to one hash: the same RSA key, imported for SHA-256 and for SHA-512.
      const pair = (await crypto.subtle.generateKey({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-512' }, true, ['sign', 'verify'])) as KeyPair;
      const pkcs8 = await crypto.subtle.exportKey('pkcs8', pair.privateKey);
      const sha256 = await crypto.subtle.importKey('pkcs8', pkcs8, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['sign']);
      const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'both', alg: 'RS512', use: 'sig' };
      const both: WebhookKeys = { staticKeys: [], jwks: (h, t) => (lookups++, localJwks({ keys: [jwk] })(h, t)) };
      const [h, , s] = (await new CompactSign(body).setProtectedHeader({ alg: 'RS256', kid: 'both' }).sign(sha256)).split('.');
      const goodV2 = (await signFireblocksWebhook(body, { privateKey: pair.privateKey, kid: 'both' })).v2;
      expect(await verifyFireblocksSignature(headersOf({ [V2_HEADER]: goodV2 }), body, both)).toEqual({ ok: true, scheme: 'v2' });
      lookups = 0;
      const goodSig = goodV2.split('..')[1]!;
      for (const v2 of [`${h}..${s}`, forged({ alg: 'PS512', kid: 'both' }, goodSig), forged({ kid: 'both' }, goodSig)]) {
        expect(await verifyFireblocksSignature(headersOf({ [V2_HEADER]: v2 }), body, both)).toEqual({ ok: false, reason: 'signature_invalid', detail: 'v2_alg_not_allowed' });
      }
      expect(lookups).toBe(0);
    });
  });

  it('refuses a JWS with its payload attached, even the right one', async () => {
    const body = nextBody();
    const attached = await new CompactSign(body).setProtectedHeader({ alg: 'RS512', kid: oldKey.kid }).sign(oldKey.privateKey);
    expect(await verifyFireblocksSignature(headersOf({ [V2_HEADER]: attached }), body, keys)).toEqual({ ok: false, reason: 'signature_invalid', detail: 'v2_not_detached' });
  });

  it('refuses crit, including b64=false (which jose itself would honour)', async () => {
    const body = nextBody();
    // Control: the hand-made signer makes JWSs that verify, so the refusals are about the header.
    expect(await verifyFireblocksSignature(headersOf({ [V2_HEADER]: await rs512WithHeader(body, oldKey.privateKey, { alg: 'RS512', kid: oldKey.kid, typ: 'JOSE' }) }), body, keys)).toEqual({
      ok: true,
      scheme: 'v2',
    });
    const unencoded = base64url.encode(
      new Uint8Array(
        await crypto.subtle.sign(
          'RSASSA-PKCS1-v1_5',
          oldKey.privateKey,
          new Uint8Array([...enc.encode(`${base64url.encode(JSON.stringify({ alg: 'RS512', kid: oldKey.kid, b64: false, crit: ['b64'] }))}.`), ...body]),
        ),
      ),
    );
    for (const v2 of [
      await rs512WithHeader(body, oldKey.privateKey, { alg: 'RS512', kid: oldKey.kid, crit: ['x-vendor'], 'x-vendor': 1 }),
      `${base64url.encode(JSON.stringify({ alg: 'RS512', kid: oldKey.kid, b64: false, crit: ['b64'] }))}..${unencoded}`,
    ]) {
      expect(await verifyFireblocksSignature(headersOf({ [V2_HEADER]: v2 }), body, keys)).toEqual({ ok: false, reason: 'signature_invalid', detail: 'v2_crit_unsupported' });
    }
  });

  it('refuses a JWS without kid, and ones that are not JWSs', async () => {
    const body = nextBody();
    const cases: [string, string][] = [
      [await rs512WithHeader(body, oldKey.privateKey, { alg: 'RS512' }), 'v2_kid_missing'],
      [await rs512WithHeader(body, oldKey.privateKey, { alg: 'RS512', kid: '' }), 'v2_kid_missing'],
      ['abc', 'v2_malformed'],
      ['a.b.c.d', 'v2_malformed'],
      ['e30..!!', 'v2_malformed'],
      [`${base64url.encode('[1]')}..AAAA`, 'v2_malformed'],
      [`${base64url.encode('{"alg":')}..AAAA`, 'v2_malformed'],
    ];
    for (const [v2, detail] of cases) {
      expect(await verifyFireblocksSignature(headersOf({ [V2_HEADER]: v2 }), body, keys)).toEqual({ ok: false, reason: 'signature_invalid', detail });
    }
    expect(await verifyFireblocksSignature(headersOf({ [V1_HEADER]: 'not base64!' }), body, keys)).toEqual({ ok: false, reason: 'signature_invalid', detail: 'v1_malformed' });
  });

  it('says which scheme is not configured', async () => {
    const body = nextBody();
    const { v2, v1 } = await signFireblocksWebhook(body, oldKey);
    expect(await verifyFireblocksSignature(headersOf({ [V2_HEADER]: v2 }), body, { staticKeys: keys.staticKeys, jwks: null })).toMatchObject({ detail: 'v2_no_jwks_configured' });
    expect(await verifyFireblocksSignature(headersOf({ [V1_HEADER]: v1 }), body, { staticKeys: [], jwks: keys.jwks })).toMatchObject({ detail: 'v1_no_keys_configured' });
  });
});

describe('keys shorter than 2048 bits are refused', () => {
  let short: KeyPair;
  let shortJwk: JWK;
  beforeAll(async () => {
    short = (await crypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-512' },
      true,
      ['sign', 'verify'],
    )) as KeyPair;
    shortJwk = { ...(await exportJWK(short.publicKey)), kid: 'short', alg: 'RS512', use: 'sig' };
  });

  it('as a static key: importStaticKeys throws naming the block', async () => {
    const pem = await exportSPKI(short.publicKey);
    await expect(importStaticKeys(`${oldPem}\n${pem}`)).rejects.toThrow('key 2 of 2 is a 1024-bit RSA key; at least 2048 bits are required');
  });

  it('as a static key handed in directly: never used', async () => {
    const body = nextBody();
    const sig = base64url.encode(new Uint8Array(await crypto.subtle.sign('RSASSA-PKCS1-v1_5', short.privateKey, body))).replace(/-/g, '+').replace(/_/g, '/');
    expect(await verifyFireblocksSignature(headersOf({ [V1_HEADER]: sig }), body, { staticKeys: [short.publicKey], jwks: null })).toMatchObject({
      ok: false,
      detail: 'v1_no_keys_configured',
    });
  });

  it('in a JWKS: skipped, so its kid is unknown (a JWKS of only short keys is no JWKS)', async () => {
    const body = nextBody();
    const v2 = await rs512WithHeader(body, short.privateKey, { alg: 'RS512', kid: 'short' });
    const jwks = localJwks({ keys: [shortJwk, oldKey.publicJwk] });
    expect(await verifyFireblocksSignature(headersOf({ [V2_HEADER]: v2 }), body, { staticKeys: [], jwks })).toEqual({ ok: false, reason: 'signature_invalid', detail: 'v2_unknown_kid' });
    expect(() => localJwks({ keys: [shortJwk] })).toThrow('JWKS holds no usable RS512 key');
  });
});

describe('importStaticKeys', () => {
  it('reads one or more PEM blocks, with real newlines or \\n escapes; empty text is no keys', async () => {
    expect(await importStaticKeys(`${oldPem}\n${newPem}`)).toHaveLength(2);
    expect(await importStaticKeys(`${oldPem}${newPem}`.replace(/\n/g, '\\n'))).toHaveLength(2);
    expect(await importStaticKeys('  \n')).toEqual([]);
  });

  it('throws naming the bad block, never quoting it', async () => {
    await expect(importStaticKeys('hello')).rejects.toThrow('holds no PEM "PUBLIC KEY" block');
    const broken = `-----BEGIN PUBLIC KEY-----\nTUlJQklq\n-----END PUBLIC KEY-----`;
    await expect(importStaticKeys(`${oldPem}\n${broken}`)).rejects.toThrow(/^key 2 of 2 is not an RSA public key$/);
    await expect(importStaticKeys(`${oldPem}\n-----BEGIN PUBLIC KEY-----\nMIIB`)).rejects.toThrow('not a complete "PUBLIC KEY" block');
    await expect(importStaticKeys(`-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n${oldPem}`)).rejects.toThrow('not a complete "PUBLIC KEY" block');
  });
});

describe('usableJwks', () => {
  it('keeps the RS512 signing keys and skips everything else', () => {
    const { keys } = usableJwks({
      keys: [
        null,
        'x',
        { kty: 'EC', kid: 'ec', crv: 'P-256', x: 'AA', y: 'AA' },
        { ...newKey.publicJwk, use: 'enc' },
        { ...newKey.publicJwk, kid: 'rs256', alg: 'RS256' },
        { ...newKey.publicJwk, kid: 'no-verify', key_ops: ['encrypt'] },
        { ...newKey.publicJwk, kid: 'private', d: 'AQAB' },
        { ...oldKey.publicJwk, n: 'AQAB' },
        { ...oldKey.publicJwk, kid: undefined },
        newKey.publicJwk,
      ],
    });
    expect(keys.map((k) => k.kid)).toEqual([newKey.kid]);
    expect(() => usableJwks({ nokeys: [] })).toThrow('no "keys" array');
  });
});

describe('remoteJwks against a local JWKS endpoint', () => {
  let ep: JwksEndpoint;
  let clock: number;
  let keys: WebhookKeys;
  const v2Check = async (key: WebhookSigningKey, extra: Record<string, string> = {}, withKeys = keys) => {
    const body = nextBody();
    const { v2, v1 } = await signFireblocksWebhook(body, key);
    return verifyFireblocksSignature(headersOf({ [V2_HEADER]: v2, ...(extra.v1From === 'same' ? { [V1_HEADER]: v1 } : {}) }), body, withKeys);
  };

  beforeEach(async () => {
    ep = await startJwksEndpoint([oldKey.publicJwk]);
    clock = Date.UTC(2026, 0, 1);
    jest.spyOn(Date, 'now').mockImplementation(() => clock);
    keys = { staticKeys: [], jwks: remoteJwks(ep.url, { minRefreshMs: MIN_REFRESH_MS }) };
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await ep.stop();
  });

  it('verifies a good v2, downloading the JWKS once', async () => {
    for (let i = 0; i < 5; i++) expect(await v2Check(oldKey)).toEqual({ ok: true, scheme: 'v2' });
    expect(ep.hits).toBe(1);
  });

  it('an unknown kid refreshes at most once per minRefreshMs, even under 20 requests (concurrent or not)', async () => {
    expect(await v2Check(oldKey)).toEqual({ ok: true, scheme: 'v2' });
    expect(ep.hits).toBe(1);
    // Within the interval after the download: nobody's unknown kid gets a download.
    const burst = await Promise.all(Array.from({ length: 20 }, () => v2Check(newKey)));
    expect(burst.every((r) => !r.ok && r.reason === 'signature_invalid' && r.detail === 'v2_unknown_kid')).toBe(true);
    expect(ep.hits).toBe(1);
    // After it: 20 at once share one download...
    clock += MIN_REFRESH_MS;
    const second = await Promise.all(Array.from({ length: 20 }, () => v2Check(newKey)));
    expect(second.every((r) => !r.ok && r.detail === 'v2_unknown_kid')).toBe(true);
    expect(ep.hits).toBe(2);
    // ...and 20 one after the other, spread over most of the next interval, get none.
    for (let i = 0; i < 20; i++) {
      clock += (MIN_REFRESH_MS - 1) / 20;
      expect(await v2Check(newKey)).toMatchObject({ ok: false, detail: 'v2_unknown_kid' });
    }
    expect(ep.hits).toBe(2);
  });

  it('picks up a key published later, once the interval has passed', async () => {
    expect(await v2Check(oldKey)).toMatchObject({ ok: true });
    ep.keys = [oldKey.publicJwk, newKey.publicJwk];
    clock += MIN_REFRESH_MS - 1;
    expect(await v2Check(newKey)).toMatchObject({ ok: false, detail: 'v2_unknown_kid' });
    clock += 1;
    expect(await v2Check(newKey)).toEqual({ ok: true, scheme: 'v2' });
    expect(ep.hits).toBe(2);
  });

  it('a key removed from the JWKS stops verifying after the next refresh (rotated out)', async () => {
    ep.keys = [oldKey.publicJwk, newKey.publicJwk];
    expect(await v2Check(oldKey)).toMatchObject({ ok: true });
    ep.keys = [newKey.publicJwk];
    clock += MIN_REFRESH_MS;
    // A known kid triggers nothing; the key is still held.
    expect(await v2Check(oldKey)).toMatchObject({ ok: true });
    expect(ep.hits).toBe(1);
    // Any unknown kid triggers the refresh, which drops it.
    expect(await v2Check(await generateSigningKey('fb-2027-01'))).toMatchObject({ ok: false, detail: 'v2_unknown_kid' });
    expect(ep.hits).toBe(2);
    expect(await v2Check(oldKey)).toMatchObject({ ok: false, reason: 'signature_invalid', detail: 'v2_unknown_kid' });
    expect(await v2Check(newKey)).toEqual({ ok: true, scheme: 'v2' });
  });

  it('a key removed from the JWKS also stops verifying once the keys are an hour old', async () => {
    expect(await v2Check(oldKey)).toMatchObject({ ok: true });
    ep.keys = [newKey.publicJwk];
    clock += 3_600_000 - 1;
    expect(await v2Check(oldKey)).toMatchObject({ ok: true });
    clock += 1;
    expect(await v2Check(oldKey)).toMatchObject({ ok: false, detail: 'v2_unknown_kid' });
    expect(ep.hits).toBe(2);
  });

  describe('endpoint down', () => {
    for (const how of ['503', 'garbage', 'stopped'] as const) {
      it(`(${how}): a cached key still verifies; an unknown kid is jwks_unavailable unless v1 verifies`, async () => {
        const withV1 = { staticKeys: await importStaticKeys(newPem), jwks: keys.jwks };
        expect(await v2Check(oldKey)).toMatchObject({ ok: true });
        if (how === 'stopped') await ep.stop();
        else ep.mode = how;
        clock += MIN_REFRESH_MS;
        expect(await v2Check(oldKey)).toEqual({ ok: true, scheme: 'v2' });
        expect(await v2Check(newKey)).toEqual({ ok: false, reason: 'jwks_unavailable', detail: 'v2_jwks_unavailable' });
        // v1 verifying is enough; v1 failing leaves the answer "retry later", never "accepted".
        expect(await v2Check(newKey, { v1From: 'same' }, withV1)).toEqual({ ok: true, scheme: 'v1' });
        expect(await v2Check(newKey, { v1From: 'same' })).toEqual({ ok: false, reason: 'jwks_unavailable', detail: 'v2_jwks_unavailable,v1_no_keys_configured' });
        const forgedV1 = await v2Check(impostor, { v1From: 'same' }, { staticKeys: withV1.staticKeys, jwks: keys.jwks });
        expect(forgedV1).toEqual({ ok: false, reason: 'signature_invalid', detail: 'v2_bad_signature,v1_bad_signature' });
        // Cached keys keep verifying past the max age while the endpoint stays down.
        clock += 3_600_000;
        expect(await v2Check(oldKey)).toEqual({ ok: true, scheme: 'v2' });
        if (how !== 'stopped') expect(ep.hits).toBe(3);
      });
    }

    it('a failed download holds the next one back for minRefreshMs', async () => {
      ep.mode = '503';
      for (let i = 0; i < 20; i++) {
        clock += 1000;
        expect(await v2Check(oldKey)).toMatchObject({ ok: false, reason: 'jwks_unavailable' });
      }
      expect(ep.hits).toBe(1);
      ep.mode = 'ok';
      clock += MIN_REFRESH_MS;
      expect(await v2Check(oldKey)).toEqual({ ok: true, scheme: 'v2' });
      expect(ep.hits).toBe(2);
    });
  });
});

describe('combinedJwks (configured JWKS + the MOCK custody simulator\'s)', () => {
  let ep: JwksEndpoint;
  let mock: WebhookSigningKey;
  beforeAll(async () => {
    mock = await generateSigningKey('vestline-mock-custody');
  });
  beforeEach(async () => {
    ep = await startJwksEndpoint([oldKey.publicJwk]);
  });
  afterEach(() => ep.stop());

  const check = async (key: WebhookSigningKey, jwks: JWKSResolver) => {
    const body = nextBody();
    return verifyFireblocksSignature(headersOf({ [V2_HEADER]: (await signFireblocksWebhook(body, key)).v2 }), body, { staticKeys: [], jwks });
  };

  it('takes a kid from either source; local first costs the remote nothing', async () => {
    const jwks = combinedJwks(localJwks({ keys: [mock.publicJwk] }), remoteJwks(ep.url, { minRefreshMs: MIN_REFRESH_MS }));
    expect(await check(mock, jwks)).toEqual({ ok: true, scheme: 'v2' });
    expect(ep.hits).toBe(0);
    expect(await check(oldKey, jwks)).toEqual({ ok: true, scheme: 'v2' });
    expect(await check(newKey, jwks)).toEqual({ ok: false, reason: 'signature_invalid', detail: 'v2_unknown_kid' });
    expect(ep.hits).toBe(1);
  });

  it('is unavailable only when no source holds the kid and one could not be asked', async () => {
    await ep.stop();
    const jwks = combinedJwks(localJwks({ keys: [mock.publicJwk] }), remoteJwks(ep.url, { minRefreshMs: MIN_REFRESH_MS }));
    expect(await check(mock, jwks)).toEqual({ ok: true, scheme: 'v2' });
    expect(await check(oldKey, jwks)).toEqual({ ok: false, reason: 'jwks_unavailable', detail: 'v2_jwks_unavailable' });
    await expect(jwks({ alg: 'RS512', kid: 'x' })).rejects.toBeInstanceOf(JwksUnavailableError);
    await expect(combinedJwks(localJwks({ keys: [mock.publicJwk] }))({ alg: 'RS512', kid: 'x' })).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
  });
});
