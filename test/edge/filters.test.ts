/**
 * The worker's filters in workerd: each one's accept and reject path, their order, and that nothing
 * they refuse reaches the origin.
 */
import { connect } from 'node:net';
import { eventBody, signingKey, signV1, type SigningKey } from './support/fireblocks.js';
import { startOrigin, type OriginServer } from './support/servers.js';
import { startEdge, type EdgeWorker } from './support/worker.js';

const SECRET = 'edge-filters-secret-0123456789abcdef';
const PATH = '/webhooks/fireblocks';

let key: SigningKey;
let origin: OriginServer;
let edge: EdgeWorker;
let seq = 0;

function signedPost(body = eventBody(`f${++seq}`), extra: Record<string, string> = {}): RequestInit & { ip?: string } {
  return { method: 'POST', body, headers: { 'content-type': 'application/json', 'fireblocks-signature': signV1(body, key), ...extra } };
}

async function json(res: Response): Promise<{ error: string; reason: string; detail?: string }> {
  return (await res.json()) as { error: string; reason: string; detail?: string };
}

beforeAll(async () => {
  key = signingKey('k1');
  origin = await startOrigin();
  edge = await startEdge({
    vars: {
      ORIGIN_URL: origin.url,
      EDGE_SHARED_SECRET: SECRET,
      FIREBLOCKS_WEBHOOK_PUBLIC_KEYS: key.publicKeyPem,
      WEBHOOK_PATHS: '/webhooks/fireblocks, /webhooks/other',
      MAX_BODY_BYTES: '1024',
    },
  });
});

afterAll(async () => {
  await edge?.dispose();
  await origin?.stop();
});

beforeEach(() => {
  origin.received = [];
});

describe('route', () => {
  it('forwards a signed POST on each configured path', async () => {
    for (const path of ['/webhooks/fireblocks', '/webhooks/other']) {
      const res = await edge.request(path, signedPost());
      expect(res.status).toBe(200);
    }
    expect(origin.received.map((r) => r.url)).toEqual(['/webhooks/fireblocks', '/webhooks/other']);
  });

  it('answers 404 unknown_path for a path not in WEBHOOK_PATHS, whatever the method', async () => {
    for (const [path, method] of [['/webhooks/stripe', 'POST'], ['/', 'GET'], ['/webhooks/fireblocks/x', 'POST'], ['/graphql', 'POST']] as const) {
      const res = await edge.request(path, { ...signedPost(), method, ...(method === 'GET' ? { body: undefined } : {}) });
      expect(res.status).toBe(404);
      expect(await json(res)).toEqual({ error: 'Not found', reason: 'unknown_path' });
    }
    expect(origin.received).toHaveLength(0);
  });

  it('answers 405 with Allow: POST for other methods on a webhook path', async () => {
    for (const method of ['GET', 'PUT', 'DELETE', 'PATCH']) {
      const res = await edge.request(PATH, { method, ...(method === 'GET' ? {} : { body: '{}' }) });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('POST');
      expect((await json(res)).reason).toBe('method_not_allowed');
    }
    expect(origin.received).toHaveLength(0);
  });
});

describe('body size', () => {
  it('accepts a body of exactly MAX_BODY_BYTES', async () => {
    const head = eventBody(`f${++seq}`);
    const body = head.slice(0, -1) + `,"pad":"${'x'.repeat(1024 - head.length - 9)}"}`;
    expect(Buffer.byteLength(body)).toBe(1024);
    const res = await edge.request(PATH, signedPost(body));
    expect(res.status).toBe(200);
    expect(origin.received[0]!.body.toString()).toBe(body);
  });

  it('answers 413 from Content-Length before reading the body', async () => {
    const body = `{"pad":"${'x'.repeat(1100)}"}`;
    const res = await edge.request(PATH, signedPost(body));
    expect(res.status).toBe(413);
    expect(await json(res)).toEqual({ error: 'Request body too large', reason: 'body_too_large' });
    expect(origin.received).toHaveLength(0);
  });

  it('answers 413 on the Content-Length header alone, without waiting for the body', async () => {
    // Raw TCP: announce 100 kB, send none of it. Only a check of the header can answer this.
    const reply = await new Promise<string>((ok, fail) => {
      const socket = connect(Number(edge.url.port), edge.url.hostname, () => {
        socket.write(`POST ${PATH} HTTP/1.1\r\nHost: edge.test\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`);
      });
      let text = '';
      socket.setTimeout(3000, () => {
        socket.destroy();
        fail(new Error(`no answer before the body was sent; got: ${text}`));
      });
      socket.on('data', (d) => {
        text += d.toString();
        if (text.includes('\r\n\r\n')) {
          socket.destroy();
          ok(text);
        }
      });
      socket.on('error', fail);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 413 /);
    expect(origin.received).toHaveLength(0);
  });

  it('answers 413 from the bytes read when there is no Content-Length (chunked)', async () => {
    const chunk = new TextEncoder().encode('x'.repeat(400));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent++ < 4) c.enqueue(chunk);
        else c.close();
      },
    });
    const marker = `chunked-${++seq}`;
    let status: number | 'connection closed';
    try {
      const res = await edge.request(PATH, { method: 'POST', body: stream, headers: { 'content-type': 'application/json', 'fireblocks-signature': 'AAAA', 'cf-ray': marker } });
      status = res.status;
      expect(await json(res)).toEqual({ error: 'Request body too large', reason: 'body_too_large' });
    } catch {
      // workerd answers as soon as the count passes the limit and drops the rest of the upload; a
      // client still writing can see that as EPIPE before it reads the 413 (a few % on a busy machine).
      status = 'connection closed';
    }
    expect([413, 'connection closed']).toContain(status);
    expect(await edge.waitForLog((l) => l.requestId === marker)).toMatchObject({ status: 413, reason: 'body_too_large' });
    expect(origin.received).toHaveLength(0);
  });

  it('reads a small chunked body in full and forwards it unchanged', async () => {
    const body = eventBody(`f${++seq}`);
    const bytes = new TextEncoder().encode(body);
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(bytes.subarray(0, 10));
        c.enqueue(bytes.subarray(10));
        c.close();
      },
    });
    const res = await edge.request(PATH, { method: 'POST', body: stream, headers: { 'content-type': 'application/json', 'fireblocks-signature': signV1(body, key) } });
    expect(res.status).toBe(200);
    expect(origin.received[0]!.body.toString()).toBe(body);
  });
});

describe('content type', () => {
  it.each(['application/json', 'application/json; charset=utf-8', 'Application/JSON;charset="UTF-8"', 'application/cloudevents+json'])('accepts %s', async (type) => {
    const res = await edge.request(PATH, signedPost(undefined, { 'content-type': type }));
    expect(res.status).toBe(200);
  });

  it.each(['text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'application/jsonp', ''])('answers 415 to "%s"', async (type) => {
    const init = signedPost();
    const headers = new Headers(init.headers);
    if (type) headers.set('content-type', type);
    else headers.delete('content-type');
    // fetch adds text/plain to a string body with no type; a Blob without a type sends none at all.
    const res = await edge.request(PATH, { ...init, headers, body: type ? init.body : new Blob([init.body as string]) });
    expect(res.status).toBe(415);
    expect(await json(res)).toEqual({ error: 'Content-Type must be application/json', reason: 'unsupported_media_type' });
    expect(origin.received).toHaveLength(0);
  });
});

describe('filter order', () => {
  it('answers with the first filter that fails: route, size, type, then signature', async () => {
    const big = 'x'.repeat(2000);
    expect((await json(await edge.request('/nope', { method: 'PUT', body: big, headers: { 'content-type': 'text/plain' } }))).reason).toBe('unknown_path');
    expect((await json(await edge.request(PATH, { method: 'PUT', body: big, headers: { 'content-type': 'text/plain' } }))).reason).toBe('method_not_allowed');
    expect((await json(await edge.request(PATH, { method: 'POST', body: big, headers: { 'content-type': 'text/plain' } }))).reason).toBe('body_too_large');
    expect((await json(await edge.request(PATH, { method: 'POST', body: '{}', headers: { 'content-type': 'text/plain' } }))).reason).toBe('unsupported_media_type');
    expect((await json(await edge.request(PATH, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } }))).reason).toBe('signature_missing');
    expect(origin.received).toHaveLength(0);
  });
});

describe('source IP allowlist', () => {
  let listed: EdgeWorker;

  beforeAll(async () => {
    listed = await startEdge({
      vars: {
        ORIGIN_URL: origin.url,
        EDGE_SHARED_SECRET: SECRET,
        FIREBLOCKS_WEBHOOK_PUBLIC_KEYS: key.publicKeyPem,
        ALLOWED_SOURCE_IPS: '3.134.25.0/24, 198.51.100.7 2001:db8:1::/48',
      },
    });
  });
  afterAll(() => listed?.dispose());

  it.each(['3.134.25.0', '3.134.25.255', '198.51.100.7', '2001:db8:1::1', '2001:db8:1:ffff::5', '::ffff:3.134.25.9'])('forwards from %s', async (ip) => {
    const res = await listed.request(PATH, { ...signedPost(), ip });
    expect(res.status).toBe(200);
    expect(origin.received.at(-1)!.headers['x-edge-client-ip']).toBe(ip);
  });

  it.each(['3.134.26.1', '198.51.100.8', '2001:db8:2::1', '10.0.0.1', '127.0.0.1', 'not-an-ip', '3.134.25.1.5'])('answers 403 to %s', async (ip) => {
    const res = await listed.request(PATH, { ...signedPost(), ip });
    expect(res.status).toBe(403);
    expect(await json(res)).toEqual({ error: 'Source address not allowed', reason: 'ip_not_allowed' });
    expect(origin.received).toHaveLength(0);
  });

  it('answers 403 before checking the signature', async () => {
    const res = await listed.request(PATH, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' }, ip: '192.0.2.1' });
    expect((await json(res)).reason).toBe('ip_not_allowed');
  });

  it('accepts any source when ALLOWED_SOURCE_IPS is empty', async () => {
    const res = await edge.request(PATH, { ...signedPost(), ip: '192.0.2.44' });
    expect(res.status).toBe(200);
  });
});

describe('rate limit (Cloudflare rate limiting binding)', () => {
  let limited: EdgeWorker;

  beforeAll(async () => {
    limited = await startEdge({
      vars: { ORIGIN_URL: origin.url, EDGE_SHARED_SECRET: SECRET, FIREBLOCKS_WEBHOOK_PUBLIC_KEYS: key.publicKeyPem },
      rateLimit: { limit: 3, period: 60 },
    });
  });
  afterAll(() => limited?.dispose());

  it('answers 429 past the limit for one IP while another IP still gets through', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await limited.request(PATH, { ...signedPost(), ip: '203.0.113.9' })).status);
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const refused = await limited.request(PATH, { ...signedPost(), ip: '203.0.113.9' });
    expect(refused.headers.get('retry-after')).toBe('60');
    expect(await json(refused)).toEqual({ error: 'Too many requests', reason: 'rate_limited' });
    expect((await limited.request(PATH, { ...signedPost(), ip: '203.0.113.10' })).status).toBe(200);
    expect(origin.received).toHaveLength(4);
  });
});

describe('configuration', () => {
  it.each([
    ['no ORIGIN_URL', { EDGE_SHARED_SECRET: SECRET, FIREBLOCKS_JWKS_URL: 'https://keys.example/jwks.json' }, 'ORIGIN_URL'],
    ['a short secret', { ORIGIN_URL: 'https://api.example', EDGE_SHARED_SECRET: 'short', FIREBLOCKS_JWKS_URL: 'https://keys.example/jwks.json' }, 'EDGE_SHARED_SECRET'],
    ['no Fireblocks keys at all', { ORIGIN_URL: 'https://api.example', EDGE_SHARED_SECRET: SECRET }, 'FIREBLOCKS_JWKS_URL'],
    ['a plain-http JWKS off localhost', { ORIGIN_URL: 'https://api.example', EDGE_SHARED_SECRET: SECRET, FIREBLOCKS_JWKS_URL: 'http://keys.example/jwks.json' }, 'FIREBLOCKS_JWKS_URL'],
    ['a bad CIDR', { ORIGIN_URL: 'https://api.example', EDGE_SHARED_SECRET: SECRET, FIREBLOCKS_JWKS_URL: 'https://k.example/j', ALLOWED_SOURCE_IPS: '10.0.0.0/33' }, 'ALLOWED_SOURCE_IPS'],
    ['a key that is not PEM', { ORIGIN_URL: 'https://api.example', EDGE_SHARED_SECRET: SECRET, FIREBLOCKS_WEBHOOK_PUBLIC_KEYS: 'hello' }, 'FIREBLOCKS_WEBHOOK_PUBLIC_KEYS'],
  ])('fails closed with 503 edge_misconfigured on %s, naming the variable in the log only', async (_name, vars, variable) => {
    const bad = await startEdge({ vars });
    try {
      const res = await bad.request(PATH, signedPost());
      expect(res.status).toBe(503);
      expect(await json(res)).toEqual({ error: 'Edge worker is misconfigured', reason: 'edge_misconfigured' });
      const line = await bad.logFor(res);
      expect(line.detail).toContain(variable);
      expect(line.detail).not.toContain(SECRET);
    } finally {
      await bad.dispose();
    }
  });
});
