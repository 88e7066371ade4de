/**
 * Fireblocks signature checks in workerd: v1 against static keys (with a rotation), v2 detached JWS
 * against a JWKS served from a local HTTP server (kid lookup, caching, refusal of any alg but RS512),
 * and the JWKS endpoint going down. When the cache picks up or drops a kid is in jwks-cache.test.ts,
 * on a clock that test drives.
 */
import { eventBody, forgedV2, signingKey, signV1, signV2, signV2WithHeader, type SigningKey } from './support/fireblocks.js';
import { startJwks, startOrigin, type JwksServer, type OriginServer } from './support/servers.js';
import { startEdge, type EdgeWorker } from './support/worker.js';

const SECRET = 'edge-signatures-secret-0123456789abcdef';
const PATH = '/webhooks/fireblocks';

let oldKey: SigningKey;
let newKey: SigningKey;
let stranger: SigningKey;
let origin: OriginServer;
let seq = 0;
const nextBody = () => eventBody(`s${++seq}`);

function post(body: string, headers: Record<string, string>): RequestInit {
  return { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } };
}

async function outcome(res: Response): Promise<{ status: number; reason?: string; detail?: string }> {
  const body = (await res.json()) as { reason?: string; detail?: string };
  return { status: res.status, reason: body.reason, detail: body.detail };
}

beforeAll(async () => {
  [oldKey, newKey, stranger] = [signingKey('fb-2025-01'), signingKey('fb-2026-01'), signingKey('fb-2025-01')];
  origin = await startOrigin();
});
afterAll(() => origin?.stop());
beforeEach(() => {
  origin.received = [];
});

describe('v1 Fireblocks-Signature against static keys', () => {
  let edge: EdgeWorker;
  beforeAll(async () => {
    // Two keys at once, as during a rotation: one var, two PEM blocks.
    edge = await startEdge({
      vars: { ORIGIN_URL: origin.url, EDGE_SHARED_SECRET: SECRET, FIREBLOCKS_WEBHOOK_PUBLIC_KEYS: `${oldKey.publicKeyPem}\n${newKey.publicKeyPem}` },
    });
  });
  afterAll(() => edge?.dispose());

  it('accepts a body signed with either configured key (rotation)', async () => {
    for (const key of [oldKey, newKey]) {
      const body = nextBody();
      const res = await edge.request(PATH, post(body, { 'fireblocks-signature': signV1(body, key) }));
      expect(res.status).toBe(200);
      expect((await edge.logFor(res)).scheme).toBe('v1');
    }
    expect(origin.received).toHaveLength(2);
  });

  it('accepts keys given on one line with \\n escapes (as some secret stores keep them)', async () => {
    const oneLine = await startEdge({
      vars: { ORIGIN_URL: origin.url, EDGE_SHARED_SECRET: SECRET, FIREBLOCKS_WEBHOOK_PUBLIC_KEYS: newKey.publicKeyPem.replace(/\n/g, '\\n') },
    });
    try {
      const body = nextBody();
      expect((await oneLine.request(PATH, post(body, { 'fireblocks-signature': signV1(body, newKey) }))).status).toBe(200);
    } finally {
      await oneLine.dispose();
    }
  });

  it('answers 401 to a key that is not configured, a changed body, garbage and no signature', async () => {
    const body = nextBody();
    const cases: [Record<string, string>, string, string?][] = [
      [{ 'fireblocks-signature': signV1(body, stranger) }, 'v1_bad_signature'],
      [{ 'fireblocks-signature': signV1(body, oldKey) }, 'v1_bad_signature', body.replace('COMPLETED', 'FAILED')],
      [{ 'fireblocks-signature': signV1(body, oldKey) }, 'v1_bad_signature', `${body} `],
      [{ 'fireblocks-signature': 'not base64!' }, 'v1_malformed'],
    ];
    for (const [headers, detail, sent] of cases) {
      expect(await outcome(await edge.request(PATH, post(sent ?? body, headers)))).toEqual({ status: 401, reason: 'signature_invalid', detail });
    }
    expect(await outcome(await edge.request(PATH, post(body, {})))).toEqual({ status: 401, reason: 'signature_missing', detail: 'no_signature_header' });
    expect(origin.received).toHaveLength(0);
  });

  it('refuses a v2 header when no JWKS is configured, but takes a valid v1 sent with it', async () => {
    const body = nextBody();
    const v2 = await signV2(body, oldKey);
    expect(await outcome(await edge.request(PATH, post(body, { 'fireblocks-webhook-signature': v2 })))).toEqual({
      status: 401,
      reason: 'signature_invalid',
      detail: 'v2_no_jwks_configured',
    });
    expect((await edge.request(PATH, post(body, { 'fireblocks-webhook-signature': v2, 'fireblocks-signature': signV1(body, oldKey) }))).status).toBe(200);
  });
});

describe('v2 Fireblocks-Webhook-Signature against the JWKS', () => {
  let jwks: JwksServer;
  let edge: EdgeWorker;
  beforeAll(async () => {
    jwks = await startJwks([oldKey.jwk]);
    edge = await startEdge({ vars: { ORIGIN_URL: origin.url, EDGE_SHARED_SECRET: SECRET, FIREBLOCKS_JWKS_URL: jwks.url } });
  });
  afterAll(async () => {
    await edge?.dispose();
    await jwks?.stop();
  });

  it('accepts a detached RS512 JWS whose kid is in the JWKS, downloading the JWKS once', async () => {
    for (let i = 0; i < 3; i++) {
      const body = nextBody();
      const res = await edge.request(PATH, post(body, { 'fireblocks-webhook-signature': await signV2(body, oldKey) }));
      expect(res.status).toBe(200);
      expect((await edge.logFor(res)).scheme).toBe('v2');
    }
    expect(origin.received).toHaveLength(3);
    expect(jwks.hits).toBe(1);
  });

  it('skips JWKS entries it cannot use and keeps the good one', async () => {
    const weak = signingKey('weak');
    const messy = await startJwks([
      null as unknown as Record<string, string>,
      { kty: 'EC', kid: 'ec', crv: 'P-256', x: 'AA', y: 'AA' },
      { ...newKey.jwk, use: 'enc' },
      { ...weak.jwk, alg: 'RS256' },
      { ...oldKey.jwk, n: 'AQAB' },
      newKey.jwk,
    ]);
    const worker = await startEdge({ vars: { ORIGIN_URL: origin.url, EDGE_SHARED_SECRET: SECRET, FIREBLOCKS_JWKS_URL: messy.url } });
    try {
      let body = nextBody();
      expect((await worker.request(PATH, post(body, { 'fireblocks-webhook-signature': await signV2(body, newKey) }))).status).toBe(200);
      body = nextBody();
      expect(await outcome(await worker.request(PATH, post(body, { 'fireblocks-webhook-signature': await signV2(body, weak) })))).toMatchObject({ status: 401, detail: 'v2_unknown_kid' });
      body = nextBody();
      expect(await outcome(await worker.request(PATH, post(body, { 'fireblocks-webhook-signature': await signV2(body, oldKey) })))).toMatchObject({ status: 401, detail: 'v2_unknown_kid' });
    } finally {
      await worker.dispose();
      await messy.stop();
    }
  });

  it('checks the JWS over the exact body bytes', async () => {
    const body = nextBody();
    const sig = await signV2(body, oldKey);
    const reformatted = JSON.stringify(JSON.parse(body), null, 1);
    expect(await outcome(await edge.request(PATH, post(reformatted, { 'fireblocks-webhook-signature': sig })))).toEqual({
      status: 401,
      reason: 'signature_invalid',
      detail: 'v2_bad_signature',
    });
  });

  it('refuses every algorithm but RS512, even one the right key really signed', async () => {
    const body = nextBody();
    const { CompactSign } = await import('jose');
    const rs256 = await new CompactSign(Buffer.from(body)).setProtectedHeader({ alg: 'RS256', kid: oldKey.kid }).sign(oldKey.privateKey);
    const [h, , s] = rs256.split('.');
    const validSig = (await signV2(body, oldKey)).split('..')[1]!;
    for (const v2 of [
      `${h}..${s}`,
      forgedV2({ alg: 'none', kid: oldKey.kid }),
      forgedV2({ alg: 'HS512', kid: oldKey.kid }, validSig),
      forgedV2({ alg: 'PS512', kid: oldKey.kid }, validSig),
      forgedV2({ kid: oldKey.kid }, validSig),
    ]) {
      expect(await outcome(await edge.request(PATH, post(body, { 'fireblocks-webhook-signature': v2 })))).toEqual({
        status: 401,
        reason: 'signature_invalid',
        detail: 'v2_alg_not_allowed',
      });
    }
    expect(origin.received).toHaveLength(0);
  });

  it('refuses a JWS that is not detached, has crit, lacks kid or is not a JWS', async () => {
    const body = nextBody();
    const attached = (await signV2(body, oldKey)).replace('..', `.${Buffer.from(body).toString('base64url')}.`);
    // Control: the hand-made signer makes JWSs the worker accepts, so the refusals below are about the header.
    expect((await edge.request(PATH, post(body, { 'fireblocks-webhook-signature': signV2WithHeader(body, oldKey, { alg: 'RS512', kid: oldKey.kid }) }))).status).toBe(200);
    const cases: [string, string][] = [
      [attached, 'v2_not_detached'],
      [signV2WithHeader(body, oldKey, { alg: 'RS512', kid: oldKey.kid, crit: ['x-vendor'], 'x-vendor': 1 }), 'v2_crit_unsupported'],
      [forgedV2({ alg: 'RS512' }, 'AAAA'), 'v2_kid_missing'],
      ['abc', 'v2_malformed'],
      ['e30..!!', 'v2_malformed'],
    ];
    for (const [v2, detail] of cases) {
      expect(await outcome(await edge.request(PATH, post(body, { 'fireblocks-webhook-signature': v2 })))).toEqual({ status: 401, reason: 'signature_invalid', detail });
    }
  });

  it('answers 401 to a kid the JWKS does not hold, without downloading again within the minute', async () => {
    const hits = jwks.hits;
    for (let i = 0; i < 3; i++) {
      const body = nextBody();
      expect(await outcome(await edge.request(PATH, post(body, { 'fireblocks-webhook-signature': await signV2(body, newKey) })))).toEqual({
        status: 401,
        reason: 'signature_invalid',
        detail: 'v2_unknown_kid',
      });
    }
    expect(jwks.hits).toBe(hits);
  });

  it('refuses a known kid signed by a different key', async () => {
    const body = nextBody();
    expect(await outcome(await edge.request(PATH, post(body, { 'fireblocks-webhook-signature': await signV2(body, stranger) })))).toMatchObject({
      status: 401,
      detail: 'v2_bad_signature',
    });
  });

  it('takes v1 when v2 fails and both are sent (Fireblocks migration period)', async () => {
    const v1Only = await startEdge({
      vars: { ORIGIN_URL: origin.url, EDGE_SHARED_SECRET: SECRET, FIREBLOCKS_JWKS_URL: jwks.url, FIREBLOCKS_WEBHOOK_PUBLIC_KEYS: newKey.publicKeyPem },
    });
    try {
      const body = nextBody();
      const res = await v1Only.request(PATH, post(body, { 'fireblocks-webhook-signature': forgedV2({ alg: 'none', kid: 'x' }), 'fireblocks-signature': signV1(body, newKey) }));
      expect(res.status).toBe(200);
      expect((await v1Only.logFor(res)).scheme).toBe('v1');
    } finally {
      await v1Only.dispose();
    }
  });
});

describe('JWKS download shared by concurrent requests', () => {
  it('downloads once when a fresh isolate gets a burst of v2 webhooks', async () => {
    const slow = await startJwks([oldKey.jwk]);
    slow.delayMs = 300;
    const edge = await startEdge({ vars: { ORIGIN_URL: origin.url, EDGE_SHARED_SECRET: SECRET, FIREBLOCKS_JWKS_URL: slow.url } });
    try {
      const bodies = Array.from({ length: 8 }, () => nextBody());
      const signed = await Promise.all(bodies.map(async (body) => post(body, { 'fireblocks-webhook-signature': await signV2(body, oldKey) })));
      const statuses = await Promise.all(signed.map(async (init) => (await edge.request(PATH, init)).status));
      expect(statuses).toEqual(bodies.map(() => 200));
      expect(slow.hits).toBe(1);
      // workerd warns when a promise is settled from another request's context; the module never does that.
      expect(edge.output.filter((l) => /different request|cross-request/i.test(l))).toEqual([]);
    } finally {
      await edge.dispose();
      await slow.stop();
    }
  });
});

describe('JWKS endpoint down', () => {
  it('keeps verifying cached kids, answers 503 for unknown ones, and v1 still works', async () => {
    const jwks = await startJwks([oldKey.jwk]);
    const edge = await startEdge({
      vars: {
        ORIGIN_URL: origin.url,
        EDGE_SHARED_SECRET: SECRET,
        FIREBLOCKS_JWKS_URL: jwks.url,
        FIREBLOCKS_WEBHOOK_PUBLIC_KEYS: oldKey.publicKeyPem,
        JWKS_MIN_REFRESH_SECONDS: '1',
      },
    });
    try {
      let body = nextBody();
      expect((await edge.request(PATH, post(body, { 'fireblocks-webhook-signature': await signV2(body, oldKey) }))).status).toBe(200);
      await jwks.stop();
      await new Promise((r) => setTimeout(r, 1100));

      body = nextBody();
      expect((await edge.request(PATH, post(body, { 'fireblocks-webhook-signature': await signV2(body, oldKey) }))).status).toBe(200);

      body = nextBody();
      const res = await edge.request(PATH, post(body, { 'fireblocks-webhook-signature': await signV2(body, newKey) }));
      expect(res.headers.get('retry-after')).toBe('60');
      expect(await outcome(res)).toEqual({ status: 503, reason: 'jwks_unavailable', detail: 'v2_jwks_unavailable' });

      body = nextBody();
      const both = await edge.request(PATH, post(body, { 'fireblocks-webhook-signature': await signV2(body, newKey), 'fireblocks-signature': signV1(body, oldKey) }));
      expect(both.status).toBe(200);
      expect(origin.received).toHaveLength(3);
    } finally {
      await edge.dispose();
    }
  });

  it('answers 503 jwks_unavailable when the first download fails', async () => {
    const jwks = await startJwks([oldKey.jwk]);
    await jwks.stop();
    const edge = await startEdge({ vars: { ORIGIN_URL: origin.url, EDGE_SHARED_SECRET: SECRET, FIREBLOCKS_JWKS_URL: jwks.url } });
    try {
      const body = nextBody();
      const res = await edge.request(PATH, post(body, { 'fireblocks-webhook-signature': await signV2(body, oldKey) }));
      expect(await outcome(res)).toEqual({ status: 503, reason: 'jwks_unavailable', detail: 'v2_jwks_unavailable' });
      expect((await edge.logFor(res)).decision).toBe('error');
      expect(origin.received).toHaveLength(0);
    } finally {
      await edge.dispose();
    }
  });
});
