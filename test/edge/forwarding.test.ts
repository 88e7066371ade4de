/**
 * Forwarding in workerd to a real local origin: the body and signature headers unchanged, the edge
 * HMAC the origin can check, what origin answers become, replay suppression (Cache API and KV) and the
 * log line.
 */
import { createHmac } from 'node:crypto';
import { eventBody, signingKey, signV1, signV2, type SigningKey } from './support/fireblocks.js';
import { startJwks, startOrigin, type JwksServer, type OriginServer } from './support/servers.js';
import { startEdge, type EdgeWorker } from './support/worker.js';

const SECRET = 'edge-forwarding-secret-0123456789abcdef';
const PATH = '/webhooks/fireblocks';

let key: SigningKey;
let origin: OriginServer;
let jwks: JwksServer;
let edge: EdgeWorker;
let seq = 0;
const nextBody = () => eventBody(`w${++seq}`);

function signed(body: string, extra: Record<string, string> = {}): RequestInit & { ip?: string } {
  return { method: 'POST', body, headers: { 'content-type': 'application/json', 'fireblocks-signature': signV1(body, key), ...extra } };
}

/**
 * The worker remembers a body in ctx.waitUntil, after answering. Miniflare finishes that in a few ms;
 * 500 ms is the margin, not a guess at the cost (the KV test below checks the write itself).
 */
const remembered = () => new Promise((r) => setTimeout(r, 500));

/** The origin's side of the protocol, written here from the spec rather than imported. */
function expectedHmac(timestamp: string, body: Buffer): string {
  return createHmac('sha256', SECRET).update(`${timestamp}.`).update(body).digest('hex');
}

beforeAll(async () => {
  key = signingKey('fwd-1');
  origin = await startOrigin();
  jwks = await startJwks([key.jwk]);
  edge = await startEdge({
    vars: { ORIGIN_URL: origin.url, EDGE_SHARED_SECRET: SECRET, FIREBLOCKS_WEBHOOK_PUBLIC_KEYS: key.publicKeyPem, FIREBLOCKS_JWKS_URL: jwks.url, ORIGIN_TIMEOUT_MS: '500' },
  });
});
afterAll(async () => {
  await edge?.dispose();
  await origin?.stop();
  await jwks?.stop();
});
beforeEach(() => {
  origin.received = [];
  origin.respond = { status: 200, body: { ok: true } };
});

describe('forwarded request', () => {
  it('carries the exact body, both signature headers and a valid edge HMAC, and nothing else of the client', async () => {
    // Odd spacing, key order and non-ASCII: a re-serialised body would differ.
    const body = `{ "type":"TRANSACTION_STATUS_UPDATED",  "data": {"id":"w${++seq}","note":"Zürich ✓"} }\n`;
    const v2 = await signV2(body, key);
    const before = Math.floor(Date.now() / 1000);
    const res = await edge.request(PATH, {
      ...signed(body, { 'fireblocks-webhook-signature': v2, cookie: 'session=abc', authorization: 'Bearer client', 'x-edge-client-ip': '6.6.6.6', 'x-forwarded-for': '7.7.7.7' }),
      ip: '198.51.100.23',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(res.headers.get('set-cookie')).toBeNull();

    expect(origin.received).toHaveLength(1);
    const got = origin.received[0]!;
    expect(got.method).toBe('POST');
    expect(got.url).toBe(PATH);
    expect(got.body.equals(Buffer.from(body))).toBe(true);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['fireblocks-signature']).toBe(signV1(body, key));
    expect(got.headers['fireblocks-webhook-signature']).toBe(v2);
    const ts = got.headers['x-edge-timestamp'] as string;
    expect(ts).toMatch(/^\d+$/);
    expect(Number(ts)).toBeGreaterThanOrEqual(before - 1);
    expect(Number(ts)).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 1);
    expect(got.headers['x-edge-signature']).toBe(expectedHmac(ts, got.body));
    // The client address is the one Cloudflare saw, never one the client claimed.
    expect(got.headers['x-edge-client-ip']).toBe('198.51.100.23');
    expect(got.headers['x-request-id']).toBe(res.headers.get('x-request-id'));
    for (const h of ['cookie', 'authorization', 'x-forwarded-for', 'cf-connecting-ip']) expect(got.headers[h]).toBeUndefined();
  });

  it('signs a different HMAC for a different body', async () => {
    const [a, b] = [nextBody(), nextBody()];
    await edge.request(PATH, signed(a));
    await edge.request(PATH, signed(b));
    const [ra, rb] = origin.received;
    expect(ra!.headers['x-edge-signature']).not.toBe(rb!.headers['x-edge-signature']);
    expect(rb!.headers['x-edge-signature']).toBe(expectedHmac(rb!.headers['x-edge-timestamp'] as string, Buffer.from(b)));
  });
});

describe('origin answers', () => {
  it('passes a 4xx through with its body', async () => {
    origin.respond = { status: 422, body: { error: 'unknown event', reason: 'bad_event' } };
    const res = await edge.request(PATH, signed(nextBody()));
    expect(res.status).toBe(422);
    expect(await res.json()).toEqual({ error: 'unknown event', reason: 'bad_event' });
    const line = await edge.logFor(res);
    expect(line).toMatchObject({ decision: 'origin_rejected', originStatus: 422, status: 422 });
  });

  it('turns an origin 5xx into 502 so the sender retries, and forwards the retry', async () => {
    const body = nextBody();
    origin.respond = { status: 500, body: { error: 'boom', stack: 'at secret.ts:1' } };
    const res = await edge.request(PATH, signed(body));
    expect(res.status).toBe(502);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({ error: 'Origin failed; retry later', reason: 'origin_error' });
    expect(text).not.toContain('secret.ts');
    expect(await edge.logFor(res)).toMatchObject({ decision: 'origin_failed', originStatus: 500, reason: 'origin_error', detail: 'origin_5xx' });

    // The failed delivery was not remembered as seen: the retry reaches the origin.
    await remembered();
    origin.respond = { status: 200, body: { ok: true } };
    expect((await edge.request(PATH, signed(body))).status).toBe(200);
    expect(origin.received).toHaveLength(2);
  });

  it('answers 502 to a redirect instead of following it', async () => {
    origin.respond = { status: 307, body: {} };
    const res = await edge.request(PATH, signed(nextBody()));
    expect(res.status).toBe(502);
    expect(origin.received).toHaveLength(1);
  });

  it('answers 503 origin_unreachable when the origin does not answer in ORIGIN_TIMEOUT_MS', async () => {
    origin.respond = 'hang';
    const started = Date.now();
    const res = await edge.request(PATH, signed(nextBody()));
    expect(res.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await res.json()).toEqual({ error: 'Origin unreachable; retry later', reason: 'origin_unreachable' });
    expect(await edge.logFor(res)).toMatchObject({ decision: 'origin_failed', detail: 'origin_timeout' });
  });

  it('answers 503 with Retry-After when the origin is down', async () => {
    const down = await startOrigin();
    await down.stop();
    const edgeToNowhere = await startEdge({ vars: { ORIGIN_URL: down.url, EDGE_SHARED_SECRET: SECRET, FIREBLOCKS_WEBHOOK_PUBLIC_KEYS: key.publicKeyPem } });
    try {
      const res = await edgeToNowhere.request(PATH, signed(nextBody()));
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('30');
      expect(((await res.json()) as { reason: string }).reason).toBe('origin_unreachable');
      expect(await edgeToNowhere.logFor(res)).toMatchObject({ decision: 'origin_failed', detail: 'origin_connect_failed' });
    } finally {
      await edgeToNowhere.dispose();
    }
  });
});

describe('replay', () => {
  it('answers a repeated body 200 duplicate without forwarding it, even under the other signature scheme', async () => {
    const body = nextBody();
    expect((await edge.request(PATH, signed(body))).status).toBe(200);
    await remembered();
    const again = await edge.request(PATH, signed(body));
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ status: 'duplicate' });
    expect(await edge.logFor(again)).toMatchObject({ decision: 'duplicate', replayStore: 'cache' });
    const asV2 = await edge.request(PATH, { method: 'POST', body, headers: { 'content-type': 'application/json', 'fireblocks-webhook-signature': await signV2(body, key) } });
    expect(await asV2.json()).toEqual({ status: 'duplicate' });
    expect(origin.received).toHaveLength(1);
  });

  it('does not let an unsigned copy of a seen body count as anything but unsigned', async () => {
    const body = nextBody();
    await edge.request(PATH, signed(body));
    const res = await edge.request(PATH, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(401);
  });

  it('uses a KV namespace when REPLAY_KV is bound', async () => {
    const withKv = await startEdge({ vars: { ORIGIN_URL: origin.url, EDGE_SHARED_SECRET: SECRET, FIREBLOCKS_WEBHOOK_PUBLIC_KEYS: key.publicKeyPem }, replayKv: true });
    try {
      const body = nextBody();
      const first = await withKv.request(PATH, signed(body));
      expect(await withKv.logFor(first)).toMatchObject({ decision: 'forwarded', replayStore: 'kv' });
      const kv = await withKv.mf.getKVNamespace('REPLAY_KV');
      for (let i = 0; i < 100 && !(await kv.list({ prefix: 'replay:' })).keys.length; i++) await new Promise((r) => setTimeout(r, 20));
      const second = await withKv.request(PATH, signed(body));
      expect(await second.json()).toEqual({ status: 'duplicate' });
      expect(await withKv.logFor(second)).toMatchObject({ decision: 'duplicate', replayStore: 'kv' });
      expect(origin.received).toHaveLength(1);
      const { keys } = await kv.list({ prefix: 'replay:' });
      expect(keys).toHaveLength(1);
      expect(keys[0]!.expiration! - Date.now() / 1000).toBeGreaterThan(590);
    } finally {
      await withKv.dispose();
    }
  });
});

describe('log line', () => {
  it('writes one JSON line per request with decision, reason and latency, and no body, signature or secret', async () => {
    const body = eventBody('log-check-unique-payload');
    const ok = await edge.request(PATH, { ...signed(body), ip: '192.0.2.5' });
    const bad = await edge.request(PATH, { method: 'POST', body, headers: { 'content-type': 'text/plain' } });
    const okLine = await edge.logFor(ok);
    expect(okLine).toMatchObject({ msg: 'edge request', level: 'info', method: 'POST', path: PATH, clientIp: '192.0.2.5', decision: 'forwarded', status: 200, originStatus: 200, scheme: 'v1' });
    expect(typeof okLine.ms).toBe('number');
    expect(await edge.logFor(bad)).toMatchObject({ level: 'warn', decision: 'rejected', reason: 'unsupported_media_type', status: 415 });

    const lines = edge.output.filter((l) => l.includes(ok.headers.get('x-request-id')!) || l.includes(bad.headers.get('x-request-id')!));
    expect(lines).toHaveLength(2);
    const all = edge.output.join('\n');
    expect(all).not.toContain('log-check-unique-payload');
    expect(all).not.toContain(SECRET);
    expect(all).not.toContain(signV1(body, key));
  });
});
