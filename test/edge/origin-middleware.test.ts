/**
 * The API side of the forwarding protocol (src/http/edge-signature.ts) on a bare express app: the HMAC
 * check, its clock window, the raw body and client address it hands to the webhook route behind it.
 */
import { createHmac } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import express from 'express';
import { edgeSignature, verifyEdgeSignature, webhookContext, type WebhookRequestContext } from '../../src/http/edge-signature.js';
import { createLogger } from '../../src/logger.js';

const SECRET = 'origin-middleware-secret-0123456789abcdef';
const NOW_MS = 1_800_000_000_000;
const NOW = String(NOW_MS / 1000);

function hmac(timestamp: string, body: string | Buffer, secret = SECRET): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

interface Harness {
  url: string;
  seen: WebhookRequestContext[];
  logs: string[];
  close(): Promise<void>;
}

/** Mounted the way src/app.ts mounts it, with a route behind it the way the payouts work will. */
async function harness(secret: string | undefined): Promise<Harness> {
  const seen: WebhookRequestContext[] = [];
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString());
      cb();
    },
  });
  const app = express();
  app.use('/webhooks', edgeSignature({ secret, logger: createLogger('info', sink), now: () => NOW_MS }));
  app.post('/webhooks/fireblocks', (req, res) => {
    seen.push(webhookContext(req));
    res.json({ ok: true });
  });
  app.use((_req, res) => {
    res.status(404).json({ errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }] });
  });
  const server: Server = createServer(app);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    logs,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}

describe('verifyEdgeSignature', () => {
  const body = Buffer.from('{"a":1}');
  const check = (timestamp: string | undefined, signature: string | undefined, nowSeconds = Number(NOW)) =>
    verifyEdgeSignature({ secret: SECRET, timestamp, signature, body, nowSeconds });

  it('accepts the HMAC of timestamp + "." + body, in hex of either case', () => {
    expect(check(NOW, hmac(NOW, body))).toEqual({ ok: true });
    expect(check(NOW, hmac(NOW, body).toUpperCase())).toEqual({ ok: true });
  });

  it('accepts up to 300 s of skew either way and refuses 301', () => {
    const ts = (d: number) => String(Number(NOW) + d);
    expect(check(ts(-300), hmac(ts(-300), body))).toEqual({ ok: true });
    expect(check(ts(300), hmac(ts(300), body))).toEqual({ ok: true });
    expect(check(ts(-301), hmac(ts(-301), body))).toEqual({ ok: false, reason: 'edge_timestamp_out_of_range' });
    expect(check(ts(301), hmac(ts(301), body))).toEqual({ ok: false, reason: 'edge_timestamp_out_of_range' });
  });

  it('refuses missing, malformed and mismatching values with a reason each', () => {
    expect(check(undefined, hmac(NOW, body))).toEqual({ ok: false, reason: 'edge_signature_missing' });
    expect(check(NOW, undefined)).toEqual({ ok: false, reason: 'edge_signature_missing' });
    expect(check('1.8e9', hmac('1.8e9', body))).toEqual({ ok: false, reason: 'edge_timestamp_invalid' });
    expect(check(`${NOW}000`, hmac(`${NOW}000`, body))).toEqual({ ok: false, reason: 'edge_timestamp_out_of_range' });
    expect(check(NOW, Buffer.from(hmac(NOW, body), 'hex').toString('base64'))).toEqual({ ok: false, reason: 'edge_signature_malformed' });
    expect(check(NOW, hmac(NOW, body).slice(2))).toEqual({ ok: false, reason: 'edge_signature_malformed' });
    expect(check(NOW, hmac(NOW, '{"a":2}'))).toEqual({ ok: false, reason: 'edge_signature_mismatch' });
    expect(check(NOW, hmac(String(Number(NOW) - 1), body))).toEqual({ ok: false, reason: 'edge_signature_mismatch' });
    expect(check(NOW, hmac(NOW, body, `${SECRET}x`))).toEqual({ ok: false, reason: 'edge_signature_mismatch' });
  });
});

describe('edgeSignature middleware with EDGE_SHARED_SECRET set', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(SECRET);
  });
  afterAll(() => h?.close());
  beforeEach(() => {
    h.seen.length = 0;
  });

  const post = (body: string, headers: Record<string, string>) =>
    fetch(`${h.url}/webhooks/fireblocks`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  it('lets a signed request through with its raw bytes and the edge-reported client address', async () => {
    const body = '{ "id": "evt-1",  "note": "Zürich" }';
    const res = await post(body, { 'x-edge-timestamp': NOW, 'x-edge-signature': hmac(NOW, body), 'x-edge-client-ip': '198.51.100.23' });
    expect(res.status).toBe(200);
    expect(h.seen).toHaveLength(1);
    expect(h.seen[0]!.rawBody.equals(Buffer.from(body))).toBe(true);
    expect(h.seen[0]!.clientIp).toBe('198.51.100.23');
    expect(h.seen[0]!.viaEdge).toBe(true);
  });

  it('takes the socket address when the edge sends no usable client address', async () => {
    const body = '{}';
    await post(body, { 'x-edge-timestamp': NOW, 'x-edge-signature': hmac(NOW, body), 'x-edge-client-ip': 'not-an-ip' });
    expect(h.seen[0]!.clientIp).toMatch(/127\.0\.0\.1$/);
  });

  it('reads the body whatever its content type (the HMAC covers the bytes, not a parse)', async () => {
    const body = 'plain text, not JSON';
    const res = await fetch(`${h.url}/webhooks/fireblocks`, { method: 'POST', body, headers: { 'content-type': 'text/plain', 'x-edge-timestamp': NOW, 'x-edge-signature': hmac(NOW, body) } });
    expect(res.status).toBe(200);
    expect(h.seen[0]!.rawBody.toString()).toBe(body);
  });

  it.each([
    ['no edge headers', {}, 'edge_signature_missing'],
    ['a signature for another body', { 'x-edge-timestamp': NOW, 'x-edge-signature': hmac(NOW, '{"other":1}') }, 'edge_signature_mismatch'],
    ['an expired timestamp', { 'x-edge-timestamp': String(Number(NOW) - 301), 'x-edge-signature': hmac(String(Number(NOW) - 301), '{"id":1}') }, 'edge_timestamp_out_of_range'],
    ['a garbage signature', { 'x-edge-timestamp': NOW, 'x-edge-signature': 'zz' }, 'edge_signature_malformed'],
  ])('answers 401 to %s, logs the reason and never reaches the route', async (_name, headers, reason) => {
    const res = await post('{"id":1}', { ...headers, 'x-edge-client-ip': '6.6.6.6' });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Valid edge signature required', reason });
    expect(h.seen).toHaveLength(0);
    const line = h.logs.map((l) => JSON.parse(l) as { msg: string; reason?: string }).find((l) => l.reason === reason);
    expect(line?.msg).toBe('edge signature refused');
  });

  it('guards every path under /webhooks/, routed or not', async () => {
    const res = await fetch(`${h.url}/webhooks/unknown`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(401);
    const body = '{}';
    const signed = await fetch(`${h.url}/webhooks/unknown`, { method: 'POST', body, headers: { 'x-edge-timestamp': NOW, 'x-edge-signature': hmac(NOW, body) } });
    expect(signed.status).toBe(404);
  });

  it('answers 413 above 64 KiB', async () => {
    const body = `{"pad":"${'x'.repeat(64 * 1024)}"}`;
    const res = await post(body, { 'x-edge-timestamp': NOW, 'x-edge-signature': hmac(NOW, body) });
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({ error: 'Request body too large', reason: 'body_too_large' });
  });
});

describe('edgeSignature middleware without EDGE_SHARED_SECRET', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(undefined);
  });
  afterAll(() => h?.close());

  it('passes direct requests through with the raw body and ignores x-edge-client-ip', async () => {
    const body = '{"id":"direct"}';
    const res = await fetch(`${h.url}/webhooks/fireblocks`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-edge-client-ip': '6.6.6.6' } });
    expect(res.status).toBe(200);
    expect(h.seen[0]!.rawBody.toString()).toBe(body);
    expect(h.seen[0]!.clientIp).toMatch(/127\.0\.0\.1$/);
    expect(h.seen[0]!.viaEdge).toBe(false);
  });
});

describe('webhookContext', () => {
  it('throws when the middleware is not in front of the route', async () => {
    const app = express();
    let error: unknown;
    app.post('/x', (req, res) => {
      try {
        webhookContext(req);
      } catch (e) {
        error = e;
      }
      res.end();
    });
    const server = createServer(app);
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
    try {
      await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/x`, { method: 'POST' });
      expect(String(error)).toContain('edgeSignature middleware is not mounted');
    } finally {
      await new Promise((ok) => server.close(ok));
    }
  });
});
