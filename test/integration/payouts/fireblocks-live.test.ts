/**
 * The LIVE custody adapter: the real @fireblocks/ts-sdk over real HTTP against the Fireblocks fake,
 * which verifies every request's JWT with the public key of the pair generated here. What is checked:
 * the create body and Idempotency-Key, the signed claims, the lookup route, how each kind of failure
 * is reported (refused / unavailable), that a failed POST is never re-sent by the SDK, and that a
 * second submit of the same release never makes a second transaction.
 */
import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { importPKCS8, SignJWT } from 'jose';
import { CustodyRefusedError, CustodyUnavailableError, type CustodyPort, type PayoutRequest } from '../../../src/services/payouts/custody-port.js';
import {
  EXTERNAL_TX_ID_EXISTS,
  fireblocksLive,
  FireblocksRefusedError,
  FireblocksUnavailableError,
} from '../../../src/services/payouts/fireblocks-live.js';
import { startFireblocksFake, type FireblocksFake, type FireblocksRecordedRequest } from '../../support/fireblocks-fake.js';

const rsa = () =>
  generateKeyPairSync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
const KEYS = rsa();
const OTHER_KEYS = rsa();
const API_KEY = randomUUID();
const VAULT = '7';
const DESTINATION = '0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed';

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');
const signal = (): AbortSignal => AbortSignal.timeout(15_000);

let fake: FireblocksFake;
let ports: CustodyPort[];
const live = (over: Partial<Parameters<typeof fireblocksLive>[0]> = {}): CustodyPort => {
  const p = fireblocksLive({ apiKey: API_KEY, secretKeyPem: KEYS.privateKey, basePath: fake.basePath, vaultAccountId: VAULT, timeoutMs: 2_000, ...over });
  ports.push(p);
  return p;
};
let n = 0;
const payout = (over: Partial<PayoutRequest> = {}): PayoutRequest => ({
  externalTxId: `vl-rel-${++n}-${randomUUID().slice(0, 8)}`,
  custodyAssetId: 'USDT_ERC20',
  amount: '1234.5',
  destinationAddress: DESTINATION,
  note: 'Vestline release',
  ...over,
});
const posts = (): FireblocksRecordedRequest[] => fake.requests.filter((r) => r.method === 'POST');
/** The rejection of `p` (fails the test if it resolves). */
const rejection = async (p: Promise<unknown>): Promise<Error> => {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a rejection');
};
/** No secret in what an error says. */
const expectNoSecrets = (e: Error): void => {
  const text = `${e.message} ${e.stack ?? ''} ${JSON.stringify(e)}`;
  expect(text).not.toContain(API_KEY);
  expect(text).not.toMatch(/eyJ[\w-]+\./);
  expect(text).not.toContain('PRIVATE KEY');
};

beforeEach(async () => {
  fake = await startFireblocksFake({ apiKey: API_KEY, publicKeyPem: KEYS.publicKey, vaultAccountIds: [VAULT] });
  ports = [];
});
afterEach(async () => {
  for (const p of ports) await p.close();
  await fake.stop();
});

describe('fireblocksLive', () => {
  it('sends nothing when constructed', async () => {
    live();
    await new Promise((r) => setTimeout(r, 50));
    expect(fake.requests).toEqual([]);
  });

  it('refuses a secret key that is not an RSA PEM at construction, without quoting it', () => {
    expect(() => live({ secretKeyPem: 'not a key, but a secret' })).toThrow(/secretKeyPem is not an RSA private key/);
    try {
      live({ secretKeyPem: 'not a key, but a secret' });
    } catch (e) {
      expect((e as Error).message).not.toContain('but a secret');
    }
    expect(() => live({ timeoutMs: 0 })).toThrow(RangeError);
    expect(() => live({ basePath: 'api.fireblocks.io/v1' })).toThrow(TypeError);
  });
});

describe('submit', () => {
  it('creates a transfer from the vault to a one-time address: exact body, Idempotency-Key = externalTxId, JWT verified', async () => {
    const req = payout();
    const result = await live().submit(req, signal());

    expect(result).toEqual({ id: expect.any(String), status: 'SUBMITTED' });
    expect(posts()).toHaveLength(1);
    const [r] = posts();
    expect(r!.path).toBe('/v1/transactions');
    expect(r!.status).toBe(200);
    expect(r!.authOk).toBe(true);
    expect(r!.authError).toBeNull();
    expect(r!.body).toEqual({
      operation: 'TRANSFER',
      assetId: 'USDT_ERC20',
      source: { type: 'VAULT_ACCOUNT', id: VAULT },
      destination: { type: 'ONE_TIME_ADDRESS', oneTimeAddress: { address: DESTINATION } },
      amount: '1234.5',
      externalTxId: req.externalTxId,
      note: 'Vestline release',
    });
    expect(r!.headers['idempotency-key']).toBe(req.externalTxId);
    expect(r!.headers['content-type']).toMatch(/^application\/json/);
    // The claims as verified by the fake: signed over this path and this exact body.
    expect(r!.claims).toEqual({ uri: '/v1/transactions', nonce: expect.any(String), iat: expect.any(Number), exp: expect.any(Number), bodyHash: sha256(r!.rawBody) });
    expect(r!.claims!.exp - r!.claims!.iat).toBe(55);

    expect(fake.transactions()).toEqual([
      expect.objectContaining({
        id: result.id,
        externalTxId: req.externalTxId,
        assetId: 'USDT_ERC20',
        sourceVaultAccountId: VAULT,
        destinationType: 'ONE_TIME_ADDRESS',
        destination: DESTINATION,
        amount: '1234.5',
        idempotencyKey: req.externalTxId,
      }),
    ]);
  });

  it('leaves the note out when the request has none', async () => {
    const { note: _note, ...req } = payout();
    await live().submit(req, signal());
    expect(posts()[0]!.body).not.toHaveProperty('note');
  });

  it('signs with the wrong secret key: Fireblocks answers 401 -> CustodyRefusedError, nothing created', async () => {
    const e = await rejection(live({ secretKeyPem: OTHER_KEYS.privateKey }).submit(payout(), signal()));

    // 401 comes from authentication, before Fireblocks looks at the transfer: nothing exists.
    expect(e).toBeInstanceOf(CustodyRefusedError);
    expect(e).toMatchObject({ httpStatus: 401, fireblocksCode: -1 });
    expect(e.message).toMatch(/HTTP 401 code -1: Unauthorized: Invalid signature/);
    expectNoSecrets(e);
    expect(posts()).toHaveLength(1);
    expect(posts()[0]).toMatchObject({ authOk: false, status: 401 });
    expect(posts()[0]!.authError).toMatch(/signature/);
    expect(fake.transactions()).toEqual([]);
  });

  it('with another API key: 401 code -6 (wrong user) -> CustodyRefusedError', async () => {
    const e = await rejection(live({ apiKey: 'someone-else' }).submit(payout(), signal()));
    expect(e).toBeInstanceOf(CustodyRefusedError);
    expect(e).toMatchObject({ httpStatus: 401, fireblocksCode: -6 });
    expect(fake.transactions()).toEqual([]);
  });

  it('a 4xx with a Fireblocks code is a refusal, a 404 included (unknown vault: 1004)', async () => {
    const e = await rejection(live({ vaultAccountId: '99' }).submit(payout(), signal()));
    expect(e).toBeInstanceOf(FireblocksRefusedError);
    expect(e).toMatchObject({ httpStatus: 404, fireblocksCode: 1004 });
    expect(e.message).toContain('Vault account Id was not found');
  });

  it('429 -> CustodyUnavailableError with the status; exactly one POST reached Fireblocks (the SDK does not retry)', async () => {
    fake.failNext(1, 429, { retryAfter: 1 });
    const e = await rejection(live().submit(payout(), signal()));

    expect(e).toBeInstanceOf(CustodyUnavailableError);
    expect(e).toMatchObject({ httpStatus: 429, status: 429 });
    expect(e.message).toContain('HTTP 429');
    expectNoSecrets(e);
    await new Promise((r) => setTimeout(r, 300)); // a delayed retry would show up here
    expect(posts()).toHaveLength(1);
    expect(posts()[0]!.authOk).toBe(true);
    expect(fake.transactions()).toEqual([]);
  });

  it.each([500, 502, 503])('%i -> CustodyUnavailableError, one POST', async (status) => {
    fake.failNext(1, status);
    const e = await rejection(live().submit(payout(), signal()));

    expect(e).toBeInstanceOf(FireblocksUnavailableError);
    expect(e).toMatchObject({ httpStatus: status });
    expectNoSecrets(e);
    await new Promise((r) => setTimeout(r, 300));
    expect(posts()).toHaveLength(1);
  });

  it('after a 500, Fireblocks refuses the same Idempotency-Key (400): still Unavailable, not a refusal, and nothing is created', async () => {
    const port = live();
    const req = payout();
    fake.failNext(1, 500);
    await expect(port.submit(req, signal())).rejects.toBeInstanceOf(CustodyUnavailableError);

    const again = await rejection(port.submit(req, signal()));
    expect(again).toBeInstanceOf(CustodyUnavailableError);
    expect(again).toMatchObject({ httpStatus: 400 });
    expect(again.message).toMatch(/same idempotency key after an internal error/);
    expect(fake.transactions()).toEqual([]);
    expect(await port.lookup(req.externalTxId, signal())).toBeNull();
  });

  it('no answer within timeoutMs -> Unavailable; the transfer was created, and submitting it again returns it without a second one', async () => {
    const port = live({ timeoutMs: 300 });
    const req = payout();
    fake.delayNext(1, 1_500);
    const started = Date.now();
    const e = await rejection(port.submit(req, signal()));

    expect(e).toBeInstanceOf(CustodyUnavailableError);
    expect(e).toMatchObject({ httpStatus: null, status: undefined });
    expect(Date.now() - started).toBeLessThan(1_200);
    expect(fake.transactions()).toHaveLength(1); // the answer was lost, not the transfer

    const second = await port.submit(req, signal());
    expect(second.id).toBe(fake.transactions()[0]!.id);
    expect(fake.transactions()).toHaveLength(1);
    expect(posts()).toHaveLength(2);
    expect(posts().map((r) => r.headers['idempotency-key'])).toEqual([req.externalTxId, req.externalTxId]);
  });

  it('once Fireblocks forgot the Idempotency-Key, a resubmission meets code 1438 and submit answers the existing transfer', async () => {
    const port = live();
    const req = payout();
    const first = await port.submit(req, signal());
    fake.forgetIdempotencyKeys(); // 24 hours later
    fake.setStatus(first.id, 'COMPLETED', { txHash: '0xfeed' });

    expect(await port.submit(req, signal())).toEqual({ id: first.id, status: 'COMPLETED' });
    expect(fake.transactions()).toHaveLength(1);
    expect(fake.requests.map((r) => [r.method, r.path, r.status])).toEqual([
      ['POST', '/v1/transactions', 200],
      ['POST', '/v1/transactions', 400],
      ['GET', `/v1/transactions/external_tx_id/${req.externalTxId}`, 200],
    ]);
    expect(EXTERNAL_TX_ID_EXISTS).toBe(1438);
  });

  it('the caller aborting ends submit at once with Unavailable; an aborted signal sends nothing', async () => {
    const port = live({ timeoutMs: 5_000 });
    fake.delayNext(1, 2_000);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const started = Date.now();
    const e = await rejection(port.submit(payout(), ac.signal));
    expect(e).toBeInstanceOf(CustodyUnavailableError);
    expect(e.message).toMatch(/aborted by the caller/);
    expect(Date.now() - started).toBeLessThan(1_000);

    const before = fake.requests.length;
    await expect(port.submit(payout(), AbortSignal.abort())).rejects.toBeInstanceOf(CustodyUnavailableError);
    expect(fake.requests.length).toBe(before);
  });

  it.each([
    ['an externalTxId over 40 characters', { externalTxId: 'x'.repeat(41) }],
    ['an amount of zero', { amount: '0.000' }],
    ['a negative amount', { amount: '-1' }],
    ['an exponent', { amount: '1e3' }],
    ['no destination', { destinationAddress: '' }],
  ])('refuses %s without sending anything', async (_what, over) => {
    const e = await rejection(live().submit(payout(over), signal()));
    expect(e).toBeInstanceOf(CustodyRefusedError);
    expect(e).toMatchObject({ httpStatus: null });
    expect(fake.requests).toEqual([]);
  });

  it('nothing listening -> CustodyUnavailableError', async () => {
    const url = fake.basePath;
    await fake.stop();
    const e = await rejection(live({ basePath: url }).submit(payout(), signal()));
    expect(e).toBeInstanceOf(CustodyUnavailableError);
    expect(e).toMatchObject({ httpStatus: null });
    expectNoSecrets(e);
  });

  it('close() cancels a call in flight: Unavailable at once', async () => {
    const port = live({ timeoutMs: 5_000 });
    fake.delayNext(1, 2_000);
    const started = Date.now();
    const pending = rejection(port.submit(payout(), signal()));
    setTimeout(() => void port.close(), 50);
    const e = await pending;
    expect(e).toBeInstanceOf(CustodyUnavailableError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it('after close(), calls fail Unavailable without a request', async () => {
    const port = live();
    await port.close();
    await expect(port.submit(payout(), signal())).rejects.toBeInstanceOf(CustodyUnavailableError);
    await expect(port.lookup('anything', signal())).rejects.toBeInstanceOf(CustodyUnavailableError);
    expect(fake.requests).toEqual([]);
  });
});

describe('lookup', () => {
  it('finds the transaction by externalTxId with its status and hash (GET signed over an empty body)', async () => {
    const port = live();
    const req = payout();
    const { id } = await port.submit(req, signal());
    fake.setStatus(id, 'CONFIRMING', { subStatus: 'PENDING_BLOCKCHAIN_CONFIRMATIONS', txHash: '0xabc123' });

    expect(await port.lookup(req.externalTxId, signal())).toEqual({
      id,
      externalTxId: req.externalTxId,
      status: 'CONFIRMING',
      subStatus: 'PENDING_BLOCKCHAIN_CONFIRMATIONS',
      txHash: '0xabc123',
    });
    const get = fake.requests.at(-1)!;
    expect(get).toMatchObject({ method: 'GET', path: `/v1/transactions/external_tx_id/${req.externalTxId}`, authOk: true, status: 200 });
    expect(get.claims!.bodyHash).toBe(sha256(''));
    expect(get.headers['idempotency-key']).toBeUndefined();
  });

  it("reads Fireblocks' empty subStatus and txHash as null", async () => {
    const port = live();
    const req = payout();
    const { id } = await port.submit(req, signal());
    expect(await port.lookup(req.externalTxId, signal())).toEqual({ id, externalTxId: req.externalTxId, status: 'SUBMITTED', subStatus: null, txHash: null });
  });

  it('is null when Fireblocks has no transaction with that externalTxId (404)', async () => {
    expect(await live().lookup('vl-rel-never-sent', signal())).toBeNull();
    expect(fake.requests).toEqual([expect.objectContaining({ method: 'GET', path: '/v1/transactions/external_tx_id/vl-rel-never-sent', authOk: true, status: 404 })]);
  });

  it('escapes the externalTxId in the path, and the JWT uri is the escaped path', async () => {
    const port = live();
    const req = payout({ externalTxId: 'rel:42/tranche 3' });
    const { id } = await port.submit(req, signal());
    expect((await port.lookup(req.externalTxId, signal()))?.id).toBe(id);
    const get = fake.requests.at(-1)!;
    expect(get.path).toBe('/v1/transactions/external_tx_id/rel%3A42%2Ftranche%203');
    expect(get.claims!.uri).toBe(get.path);
  });

  it('5xx -> CustodyUnavailableError; 401 -> CustodyRefusedError', async () => {
    fake.failNext(1, 503);
    await expect(live().lookup('vl-rel-x', signal())).rejects.toBeInstanceOf(CustodyUnavailableError);
    const e = await rejection(live({ secretKeyPem: OTHER_KEYS.privateKey }).lookup('vl-rel-x', signal()));
    expect(e).toBeInstanceOf(CustodyRefusedError);
    expect(e).toMatchObject({ httpStatus: 401 });
  });

  it('no answer within timeoutMs -> Unavailable', async () => {
    fake.delayNext(1, 1_000);
    const e = await rejection(live({ timeoutMs: 200 }).lookup('vl-rel-x', signal()));
    expect(e).toBeInstanceOf(CustodyUnavailableError);
  });
});

describe('the fake verifies authentication', () => {
  /** A request signed by hand, with one thing changed. */
  const send = async (
    o: { claims?: Record<string, unknown>; body?: string; signWith?: string; apiKeyHeader?: string | null; bearer?: boolean; path?: string } = {},
  ): Promise<{ status: number; body: { code?: number; message?: string } }> => {
    const path = o.path ?? '/v1/transactions/external_tx_id/abc';
    const body = o.body ?? '';
    const now = Math.floor(Date.now() / 1000);
    const key = await importPKCS8(o.signWith ?? KEYS.privateKey, 'RS256');
    const jwt = await new SignJWT({ uri: path, nonce: randomUUID(), iat: now, exp: now + 55, sub: API_KEY, bodyHash: sha256(body), ...o.claims })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .sign(key);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (o.apiKeyHeader !== null) headers['x-api-key'] = o.apiKeyHeader ?? API_KEY;
    if (o.bearer !== false) headers.authorization = `Bearer ${jwt}`;
    const res = await fetch(`${fake.url}${path}`, { method: body ? 'POST' : 'GET', headers, ...(body ? { body } : {}) });
    return { status: res.status, body: (await res.json()) as { code?: number; message?: string } };
  };

  it('accepts a correctly signed request', async () => {
    expect((await send()).status).toBe(404); // authenticated; no such transaction
    expect(fake.requests[0]).toMatchObject({ authOk: true });
  });

  it.each([
    ['another private key', -1, { signWith: OTHER_KEYS.privateKey }],
    ['a bodyHash of another body', -1, { body: '{"amount":"1"}', claims: { bodyHash: sha256('{"amount":"2"}') }, path: '/v1/transactions' }],
    ['no Authorization header', -3, { bearer: false }],
    ['a uri of another path', -4, { claims: { uri: '/v1/transactions/external_tx_id/other' } }],
    ['a sub of another API key', -6, { claims: { sub: 'other-key' } }],
    ['no X-API-Key header', -7, { apiKeyHeader: null }],
    ['an expired token', -10, { claims: { iat: Math.floor(Date.now() / 1000) - 120, exp: Math.floor(Date.now() / 1000) - 60 } }],
    ['an iat in the future', -12, { claims: { iat: Math.floor(Date.now() / 1000) + 60, exp: Math.floor(Date.now() / 1000) + 115 } }],
  ] as const)('refuses %s with 401 code %i', async (_what, code, o) => {
    const res = await send(o);
    expect(res.status).toBe(401);
    expect(res.body.code).toBe(code);
    expect(fake.requests[0]).toMatchObject({ authOk: false, status: 401, claims: null });
    expect(fake.transactions()).toEqual([]);
  });

  it('refuses a reused nonce', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await send({ claims: { nonce: 'n-1', iat: now, exp: now + 55 } })).status).toBe(404);
    const again = await send({ claims: { nonce: 'n-1', iat: now, exp: now + 55 } });
    expect(again).toMatchObject({ status: 401, body: { code: -7 } });
    expect(fake.requests[1]!.authError).toBe('nonce reused');
  });
});
