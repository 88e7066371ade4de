/**
 * End to end: Fireblocks-signed webhook -> worker in workerd -> the real API (startTestApp), its
 * /webhooks/* edge middleware and the POST /webhooks/fireblocks route. Worker and route check the
 * Fireblocks signature with the same module (src/services/payouts/fireblocks-signature.ts), so a
 * webhook the worker forwards is one the API accepts. The event names no release of ours, so the route
 * stores it and answers 200.
 */
import { createHmac } from 'node:crypto';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { eventBody, signingKey, signV1, type SigningKey } from './support/fireblocks.js';
import { startEdge, type EdgeWorker } from './support/worker.js';

const SECRET = 'edge-to-api-shared-secret-0123456789abcdef';
const PATH = '/webhooks/fireblocks';

let api: TestApp;
let key: SigningKey;
let edge: EdgeWorker;

const edgeHeaders = (timestamp: string, body: string, secret = SECRET) => ({
  'x-edge-timestamp': timestamp,
  'x-edge-signature': createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex'),
});

beforeAll(async () => {
  key = signingKey('e2e-1');
  api = await startTestApp({ EDGE_SHARED_SECRET: SECRET, FIREBLOCKS_WEBHOOK_PUBLIC_KEYS: key.publicKeyPem });
  edge = await startEdge({ vars: { ORIGIN_URL: api.url, EDGE_SHARED_SECRET: SECRET, FIREBLOCKS_WEBHOOK_PUBLIC_KEYS: key.publicKeyPem } });
});
afterAll(async () => {
  await edge?.dispose();
  await api?.stop();
});

it('a webhook through the worker passes the API middleware and the route\'s own signature check (200)', async () => {
  const body = eventBody('e2e-through');
  const res = await edge.request(PATH, { method: 'POST', body, headers: { 'content-type': 'application/json', 'fireblocks-signature': signV1(body, key) }, ip: '198.51.100.77' });
  expect(res.status).toBe(200);
  expect(await res.json()).toMatchObject({ ok: true });
  expect(await edge.logFor(res)).toMatchObject({ decision: 'forwarded', originStatus: 200, scheme: 'v1' });
  // The API logged the same request id the edge gave it, and no refusal.
  const id = res.headers.get('x-request-id')!;
  const apiLine = api.logs.map((l) => JSON.parse(l) as { msg: string; requestId?: string; status?: number }).find((l) => l.msg === 'request' && l.requestId === id);
  expect(apiLine).toMatchObject({ status: 200 });
  expect(api.logs.join('\n')).not.toContain('edge signature refused');
  expect(api.logs.join('\n')).not.toContain('custody webhook refused');
});

it('a worker holding another secret is refused by the API with 401, passed through to the sender', async () => {
  const wrong = await startEdge({
    vars: { ORIGIN_URL: api.url, EDGE_SHARED_SECRET: `${SECRET}-other`, FIREBLOCKS_WEBHOOK_PUBLIC_KEYS: key.publicKeyPem },
  });
  try {
    const body = eventBody('e2e-wrong-secret');
    const res = await wrong.request(PATH, { method: 'POST', body, headers: { 'content-type': 'application/json', 'fireblocks-signature': signV1(body, key) } });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Valid edge signature required', reason: 'edge_signature_mismatch' });
  } finally {
    await wrong.dispose();
  }
});

describe('straight to the API, around the worker', () => {
  const now = () => String(Math.floor(Date.now() / 1000));
  const direct = (body: string, headers: Record<string, string>) =>
    fetch(`${api.url}${PATH}`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });

  it('401 without edge headers, even with a valid Fireblocks signature', async () => {
    const body = eventBody('direct-1');
    const res = await direct(body, { 'fireblocks-signature': signV1(body, key) });
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'Valid edge signature required', reason: 'edge_signature_missing' });
  });

  it('401 for a bad or expired edge signature', async () => {
    const body = eventBody('direct-2');
    const old = String(Math.floor(Date.now() / 1000) - 301);
    expect(await (await direct(body, edgeHeaders(now(), body, 'not-the-secret-0123456789abcdef0123'))).json()).toMatchObject({ reason: 'edge_signature_mismatch' });
    expect(await (await direct(body, edgeHeaders(old, body))).json()).toMatchObject({ reason: 'edge_timestamp_out_of_range' });
  });

  it('a valid edge signature alone is not enough: the route still wants the Fireblocks signature', async () => {
    const body = eventBody('direct-3');
    const res = await direct(body, edgeHeaders(now(), body));
    expect(res.status).toBe(401);
    expect(await res.json()).not.toMatchObject({ error: 'Valid edge signature required' });
    const signed = eventBody('direct-4');
    expect((await direct(signed, { ...edgeHeaders(now(), signed), 'fireblocks-signature': signV1(signed, key) })).status).toBe(200);
  });

  it('leaves /graphql alone', async () => {
    const r = await api.gql('{ __typename }');
    expect(r.status).toBe(200);
  });
});
