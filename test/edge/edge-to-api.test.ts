/**
 * End to end: Fireblocks-signed webhook -> worker in workerd -> the real API (startTestApp) and its
 * /webhooks/* edge middleware. No webhook route exists yet, so a request that passes the middleware
 * ends at the router's 404 NOT_FOUND, which the worker passes through (a 4xx from the origin).
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
  api = await startTestApp({ EDGE_SHARED_SECRET: SECRET });
  key = signingKey('e2e-1');
  edge = await startEdge({ vars: { ORIGIN_URL: api.url, EDGE_SHARED_SECRET: SECRET, FIREBLOCKS_WEBHOOK_PUBLIC_KEYS: key.publicKeyPem } });
});
afterAll(async () => {
  await edge?.dispose();
  await api?.stop();
});

const notFound = { errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }] };

it('a webhook through the worker passes the API middleware and reaches the router (404 NOT_FOUND, no route yet)', async () => {
  const body = eventBody('e2e-through');
  const res = await edge.request(PATH, { method: 'POST', body, headers: { 'content-type': 'application/json', 'fireblocks-signature': signV1(body, key) }, ip: '198.51.100.77' });
  expect(res.status).toBe(404);
  expect(await res.json()).toEqual(notFound);
  expect(await edge.logFor(res)).toMatchObject({ decision: 'origin_rejected', originStatus: 404 });
  // The API logged the same request id the edge gave it, and no refusal.
  const id = res.headers.get('x-request-id')!;
  const apiLine = api.logs.map((l) => JSON.parse(l) as { msg: string; requestId?: string; route?: string; status?: number }).find((l) => l.msg === 'request' && l.requestId === id);
  expect(apiLine).toMatchObject({ route: '/webhooks', status: 404 });
  expect(api.logs.join('\n')).not.toContain('edge signature refused');
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

  it('404 from the router for a correctly signed request (the route plugs in here)', async () => {
    const body = eventBody('direct-3');
    const res = await direct(body, edgeHeaders(now(), body));
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual(notFound);
  });

  it('leaves /graphql alone', async () => {
    const r = await api.gql('{ __typename }');
    expect(r.status).toBe(200);
  });
});
