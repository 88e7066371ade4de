import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors as joseErrors, importSPKI, jwtVerify } from 'jose';

/**
 * A local stand-in for the Fireblocks REST API (v1) that answers what the payout adapter needs, and
 * checks every request's authentication the way Fireblocks documents it.
 *
 * Authentication (developers.fireblocks.com/reference/signing-a-request-jwt-structure): headers
 * `X-API-Key: <api key>` and `Authorization: Bearer <JWT>`, the JWT signed RS256 with the API user's
 * private key, payload { uri: path+query as sent (e.g. /v1/transactions), nonce: unique per request,
 * iat, exp, sub: the API key, bodyHash: hex SHA-256 of the raw body ("" when there is none) }. The fake
 * verifies the signature with the configured SPKI public key (jose jwtVerify, RS256 only), then each
 * claim. A failure is answered HTTP 401 `{ message, code }` with Fireblocks' codes
 * (developers.fireblocks.com/reference/api-error-codes): -1 invalid signature (also a bodyHash that is
 * not this body's), -2 no `sub`, -3 no JWT, -4 wrong `uri`, -5 malformed token (or a missing claim),
 * -6 `sub` is another API key, -7 token not accepted (X-API-Key missing or wrong, nonce reused), -10
 * expired, -12 `iat` in the future. The docs ask for exp < iat + 30 s while @fireblocks/ts-sdk signs
 * exp = iat + 55, so the fake does not bound the lifetime beyond "not expired". Every request is
 * recorded with `authOk`/`authError`, its headers minus Authorization and X-API-Key, and the JWT claims
 * minus `sub`.
 *
 * Routes:
 * - `POST /v1/transactions` (developers.fireblocks.com/reference/createtransaction): a TRANSFER from
 *   `source { type: VAULT_ACCOUNT, id }` to `destination { type: ONE_TIME_ADDRESS, oneTimeAddress:
 *   { address } }` (or VAULT_ACCOUNT `id`), `assetId`, `amount` (decimal string or number),
 *   optional `externalTxId`, `note`. Answer 200 `{ id, status: "SUBMITTED" }`. A taken externalTxId:
 *   400 `{ message: "The external tx id that was provided in the request, already exists", code:
 *   1438 }` (developers.fireblocks.com/docs/manage-withdrawals-at-scale; kept forever, like
 *   Fireblocks). With `vaultAccountIds` configured, an unknown source vault is 404 code 1004 ("Vault
 *   account Id was not found"). Other malformed bodies: 400 with a "fireblocks-fake: …" message.
 * - `GET /v1/transactions/external_tx_id/{externalTxId}`: the TransactionResponse (id, externalTxId,
 *   status, subStatus, txHash, operation, assetId, source, destination, destinationAddress, amountInfo,
 *   note, createdAt, lastUpdated; "" for an empty subStatus/txHash, as Fireblocks sends), or 404.
 * - `GET /v1/transactions/{txId}`: the same by Fireblocks id.
 *
 * Idempotency-Key (developers.fireblocks.com/reference/api-idempotency), POST only: a key seen before
 * gets the first answer again, status and body, without running anything (kept until
 * forgetIdempotencyKeys(), standing in for Fireblocks' 24 hours). A key whose request met an internal
 * error (a 500, injected or not) is refused from then on with 400 "This operation doesn't support the
 * usage of the same idempotency key after an internal error" (Fireblocks changelog, 2023-01-30).
 *
 * Failure injection applies to the next requests in arrival order, whatever the route: failNext(n,
 * status) answers `status` without running anything (nothing is created); delayNext(n, ms) runs the
 * request at once and holds the answer back `ms` — a client that times out leaves the transaction
 * created behind, as a lost answer would.
 */
export interface FireblocksFake {
  /** http://127.0.0.1:PORT */
  url: string;
  /** url + '/v1': what the SDK is configured with. */
  basePath: string;
  /** Every request received, in arrival order. */
  requests: FireblocksRecordedRequest[];
  /** The transactions created so far, oldest first (copies). */
  transactions(): FakeTransaction[];
  /** A transaction by Fireblocks id or by externalTxId (a copy). */
  transaction(idOrExternalTxId: string): FakeTransaction | undefined;
  /** Moves a transaction on (e.g. to CONFIRMING with a txHash, or FAILED with a subStatus). */
  setStatus(idOrExternalTxId: string, status: string, opts?: { subStatus?: string; txHash?: string }): void;
  /** The next `n` requests get HTTP `status` (default 500) and nothing runs. */
  failNext(n: number, status?: number, opts?: { retryAfter?: number | string }): void;
  /** The next `n` requests run at once but are answered only after `ms` milliseconds. */
  delayNext(n: number, ms: number): void;
  /** Drops the remembered Idempotency-Key answers (Fireblocks keeps them 24 hours). */
  forgetIdempotencyKeys(): void;
  stop(): Promise<void>;
}

export interface FireblocksFakeOptions {
  apiKey: string;
  /** The API user's public key, SPKI PEM ("-----BEGIN PUBLIC KEY-----"). */
  publicKeyPem: string;
  /** When given, a transfer from another vault account is refused with 404 code 1004. */
  vaultAccountIds?: string[];
}

export interface FireblocksRecordedRequest {
  method: string;
  /** Path and query as received, e.g. /v1/transactions. */
  path: string;
  /** Lower-cased, without `authorization` and `x-api-key`. */
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, the raw text when it is not JSON, null when empty. */
  body: unknown;
  rawBody: string;
  authOk: boolean;
  /** Why authentication failed, or null. */
  authError: string | null;
  /** The verified JWT payload without `sub` (the API key), or null when it did not verify. */
  claims: { uri: string; nonce: string; iat: number; exp: number; bodyHash: string } | null;
  /** The status answered, or null until the answer is sent (or if the client went away first). */
  status: number | null;
}

export interface FakeTransaction {
  id: string;
  externalTxId: string | null;
  status: string;
  subStatus: string;
  txHash: string;
  assetId: string;
  sourceVaultAccountId: string;
  destinationType: 'ONE_TIME_ADDRESS' | 'VAULT_ACCOUNT';
  /** The one-time address, or the destination vault account id. */
  destination: string;
  /** As sent, normalised to a string. */
  amount: string;
  note: string | null;
  idempotencyKey: string | null;
  createdAt: number;
  lastUpdated: number;
}

export const EXTERNAL_TX_ID_EXISTS = { code: 1438, message: 'The external tx id that was provided in the request, already exists' };
export const IDEMPOTENCY_AFTER_INTERNAL_ERROR = "This operation doesn't support the usage of the same idempotency key after an internal error";

type Json = Record<string, unknown>;
interface Reply {
  status: number;
  body: Json;
  headers?: Record<string, string>;
}
type AuthResult = { ok: true; claims: NonNullable<FireblocksRecordedRequest['claims']> } | { ok: false; code: number; message: string; reason: string };

const EXTERNAL_ID_PATH = /^\/v1\/transactions\/external_tx_id\/([^/]+)$/;
const TX_ID_PATH = /^\/v1\/transactions\/([^/]+)$/;
const DECIMAL = /^(0|[1-9]\d*)(\.\d+)?$/;

export async function startFireblocksFake(opts: FireblocksFakeOptions): Promise<FireblocksFake> {
  const publicKey = await importSPKI(opts.publicKeyPem, 'RS256');
  const vaults = opts.vaultAccountIds ? new Set(opts.vaultAccountIds) : null;
  const requests: FireblocksRecordedRequest[] = [];
  const txs = new Map<string, FakeTransaction>();
  const byExternalId = new Map<string, string>();
  const idempotent = new Map<string, Reply>();
  const poisonedKeys = new Set<string>();
  const nonces = new Set<string>();
  const timers = new Set<NodeJS.Timeout>();
  let fail = { remaining: 0, status: 500, retryAfter: undefined as string | undefined };
  let delay = { remaining: 0, ms: 0 };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const method = req.method ?? '';
      const path = req.url ?? '/';
      const headers = { ...req.headers };
      delete headers.authorization;
      delete headers['x-api-key'];
      const record: FireblocksRecordedRequest = {
        method,
        path,
        headers,
        body: rawBody === '' ? null : (parseJson(rawBody) ?? rawBody),
        rawBody,
        authOk: false,
        authError: 'not verified yet',
        claims: null,
        status: null,
      };
      requests.push(record);
      // Injections are taken in arrival order, before the (asynchronous) signature check.
      const failure = fail.remaining > 0 ? (fail.remaining--, { status: fail.status, retryAfter: fail.retryAfter }) : undefined;
      const delayMs = delay.remaining > 0 ? (delay.remaining--, delay.ms) : 0;

      void verify(req.headers, path, rawBody).then((auth) => {
        record.authOk = auth.ok;
        record.authError = auth.ok ? null : auth.reason;
        record.claims = auth.ok ? auth.claims : null;
        const key = method === 'POST' ? headerValue(req.headers['idempotency-key']) : undefined;
        let reply: Reply;
        if (failure) {
          reply = {
            status: failure.status,
            body: { message: `fireblocks-fake: injected HTTP ${failure.status}` },
            headers: failure.retryAfter !== undefined ? { 'retry-after': failure.retryAfter } : {},
          };
          if (failure.status === 500 && key !== undefined) poisonedKeys.add(key);
        } else if (!auth.ok) {
          reply = { status: 401, body: { message: auth.message, code: auth.code } };
        } else if (key !== undefined && poisonedKeys.has(key)) {
          reply = { status: 400, body: { message: IDEMPOTENCY_AFTER_INTERNAL_ERROR } };
        } else if (key !== undefined && idempotent.has(key)) {
          reply = idempotent.get(key)!;
        } else {
          try {
            reply = route(method, path, record.body, key ?? null);
          } catch (e) {
            reply = { status: 500, body: { message: `fireblocks-fake: ${String(e)}` } };
          }
          if (key !== undefined) {
            if (reply.status >= 500) poisonedKeys.add(key);
            else idempotent.set(key, reply);
          }
        }
        const answer = (): void => {
          if (res.destroyed) return; // the client gave up (its timeout fired)
          record.status = reply.status;
          send(res, reply);
        };
        if (delayMs <= 0) return answer();
        const timer = setTimeout(() => {
          timers.delete(timer);
          answer();
        }, delayMs);
        timers.add(timer);
      });
    });
  });

  async function verify(h: IncomingHttpHeaders, path: string, rawBody: string): Promise<AuthResult> {
    const deny = (code: number, message: string, reason: string): AuthResult => ({ ok: false, code, message, reason });
    const auth = headerValue(h.authorization);
    const bearer = auth !== undefined ? /^Bearer (\S+)$/.exec(auth) : null;
    if (!bearer) return deny(-3, 'Unauthorized: The entire JWT is missing', 'no Authorization: Bearer header');
    let payload: Json;
    try {
      ({ payload } = await jwtVerify(bearer[1]!, publicKey, {
        algorithms: ['RS256'],
        requiredClaims: ['uri', 'nonce', 'iat', 'exp', 'sub', 'bodyHash'],
      }));
    } catch (e) {
      if (e instanceof joseErrors.JWTExpired) return deny(-10, 'Unauthorized: The request has expired', 'exp is in the past');
      if (e instanceof joseErrors.JWSSignatureVerificationFailed) return deny(-1, 'Unauthorized: Invalid signature', 'the signature does not verify with the configured public key');
      if (e instanceof joseErrors.JWTClaimValidationFailed && e.claim === 'sub' && e.reason === 'missing') {
        return deny(-2, 'Unauthorized: Missing API Key in the JWT', 'no sub claim');
      }
      return deny(-5, 'Unauthorized: Invalid token format', `malformed token: ${e instanceof Error ? e.message : String(e)}`);
    }
    const { uri, nonce, iat, exp, sub, bodyHash } = payload;
    if (typeof sub !== 'string' || sub === '') return deny(-2, 'Unauthorized: Missing API Key in the JWT', 'empty sub claim');
    if (sub !== opts.apiKey) return deny(-6, 'Unauthorized: Wrong User in the JWT', 'sub is not the configured API key');
    if (headerValue(h['x-api-key']) !== opts.apiKey) return deny(-7, 'Unauthorized: Token was not accepted', 'X-API-Key is missing or not the configured API key');
    if (uri !== path) return deny(-4, 'Unauthorized: Wrong URL in the JWT', `uri ${JSON.stringify(uri)} is not the request path ${JSON.stringify(path)}`);
    if (typeof iat !== 'number' || typeof exp !== 'number') return deny(-5, 'Unauthorized: Invalid token format', 'iat/exp are not numbers');
    if (iat > Math.floor(Date.now() / 1000)) return deny(-12, 'Unauthorized: The request is with a future issuance timestamp (iat)', 'iat is in the future');
    const expected = createHash('sha256').update(rawBody).digest('hex');
    if (bodyHash !== expected) return deny(-1, 'Unauthorized: Invalid signature', 'bodyHash is not the SHA-256 of the body');
    if (typeof nonce !== 'string' && typeof nonce !== 'number') return deny(-5, 'Unauthorized: Invalid token format', 'nonce is not a string or number');
    if (nonces.has(String(nonce))) return deny(-7, 'Unauthorized: Token was not accepted', 'nonce reused');
    nonces.add(String(nonce));
    return { ok: true, claims: { uri, nonce: String(nonce), iat, exp, bodyHash } };
  }

  function route(method: string, path: string, body: unknown, idempotencyKey: string | null): Reply {
    if (path === '/v1/transactions') {
      if (method !== 'POST') return { status: 405, body: { message: `fireblocks-fake: ${method} ${path} is not modelled` } };
      return create(body, idempotencyKey);
    }
    const ext = EXTERNAL_ID_PATH.exec(path);
    if (ext) {
      if (method !== 'GET') return { status: 405, body: { message: `fireblocks-fake: ${path} takes GET` } };
      const externalTxId = decodeURIComponent(ext[1]!);
      const id = byExternalId.get(externalTxId);
      return id ? { status: 200, body: wire(txs.get(id)!) } : notFound(`no transaction with externalTxId ${externalTxId}`);
    }
    const byId = TX_ID_PATH.exec(path);
    if (byId && method === 'GET') {
      const tx = txs.get(decodeURIComponent(byId[1]!));
      return tx ? { status: 200, body: wire(tx) } : notFound('no such transaction id');
    }
    return notFound(`no route for ${method} ${path}`);
  }

  function create(body: unknown, idempotencyKey: string | null): Reply {
    const bad = (message: string): Reply => ({ status: 400, body: { message: `fireblocks-fake: ${message}` } });
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return bad('the body is not a JSON object');
    const b = body as Json;
    if (b.operation !== undefined && b.operation !== 'TRANSFER') return bad(`operation ${String(b.operation)} is not modelled`);
    if (typeof b.assetId !== 'string' || b.assetId === '') return bad('assetId is required');
    const source = b.source as Json | undefined;
    if (typeof source !== 'object' || source === null || source.type !== 'VAULT_ACCOUNT' || typeof source.id !== 'string' || source.id === '') {
      return bad('source must be { type: VAULT_ACCOUNT, id }');
    }
    if (vaults && !vaults.has(source.id)) return { status: 404, body: { message: 'Vault account Id was not found', code: 1004 } };
    const destination = b.destination as Json | undefined;
    let destinationType: FakeTransaction['destinationType'];
    let target: string;
    if (typeof destination !== 'object' || destination === null) return bad('destination is required');
    if (destination.type === 'ONE_TIME_ADDRESS') {
      const ota = destination.oneTimeAddress as Json | undefined;
      if (typeof ota !== 'object' || ota === null || typeof ota.address !== 'string' || ota.address === '') {
        return bad('a ONE_TIME_ADDRESS destination needs oneTimeAddress.address');
      }
      destinationType = 'ONE_TIME_ADDRESS';
      target = ota.address;
    } else if (destination.type === 'VAULT_ACCOUNT' && typeof destination.id === 'string' && destination.id !== '') {
      destinationType = 'VAULT_ACCOUNT';
      target = destination.id;
    } else {
      return bad('destination must be ONE_TIME_ADDRESS or VAULT_ACCOUNT');
    }
    const amount = typeof b.amount === 'number' && Number.isFinite(b.amount) ? String(b.amount) : b.amount;
    if (typeof amount !== 'string' || !DECIMAL.test(amount) || !/[1-9]/.test(amount)) return bad('amount must be a positive decimal');
    if (b.externalTxId !== undefined && (typeof b.externalTxId !== 'string' || b.externalTxId === '')) return bad('externalTxId must be a non-empty string');
    if (b.note !== undefined && typeof b.note !== 'string') return bad('note must be a string');
    const externalTxId = (b.externalTxId as string | undefined) ?? null;
    if (externalTxId !== null && byExternalId.has(externalTxId)) return { status: 400, body: { ...EXTERNAL_TX_ID_EXISTS } };
    const now = Date.now();
    const tx: FakeTransaction = {
      id: randomUUID(),
      externalTxId,
      status: 'SUBMITTED',
      subStatus: '',
      txHash: '',
      assetId: b.assetId,
      sourceVaultAccountId: source.id,
      destinationType,
      destination: target,
      amount,
      note: (b.note as string | undefined) ?? null,
      idempotencyKey,
      createdAt: now,
      lastUpdated: now,
    };
    txs.set(tx.id, tx);
    if (externalTxId !== null) byExternalId.set(externalTxId, tx.id);
    return { status: 200, body: { id: tx.id, status: tx.status } };
  }

  const find = (idOrExternalTxId: string): FakeTransaction | undefined =>
    txs.get(idOrExternalTxId) ?? txs.get(byExternalId.get(idOrExternalTxId) ?? '');

  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let stopped: Promise<void> | undefined;

  return {
    url,
    basePath: `${url}/v1`,
    requests,
    transactions: () => [...txs.values()].map((t) => ({ ...t })),
    transaction(idOrExternalTxId) {
      const t = find(idOrExternalTxId);
      return t ? { ...t } : undefined;
    },
    setStatus(idOrExternalTxId, status, o = {}) {
      const t = find(idOrExternalTxId);
      if (!t) throw new Error(`setStatus(): no transaction ${idOrExternalTxId}`);
      t.status = status;
      if (o.subStatus !== undefined) t.subStatus = o.subStatus;
      if (o.txHash !== undefined) t.txHash = o.txHash;
      t.lastUpdated = Date.now();
    },
    failNext(n, status = 500, o = {}) {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`failNext(): n must be a non-negative integer, got ${n}`);
      if (!Number.isInteger(status) || status < 100 || status > 599) throw new RangeError(`failNext(): bad HTTP status ${status}`);
      fail = { remaining: n, status, retryAfter: o.retryAfter !== undefined ? String(o.retryAfter) : undefined };
    },
    delayNext(n, ms) {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`delayNext(): n must be a non-negative integer, got ${n}`);
      if (!(ms >= 0)) throw new RangeError(`delayNext(): ms must be >= 0, got ${ms}`);
      delay = { remaining: n, ms };
    },
    forgetIdempotencyKeys() {
      idempotent.clear();
      poisonedKeys.clear();
    },
    stop() {
      stopped ??= new Promise<void>((ok) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => ok());
        server.closeAllConnections();
      });
      return stopped;
    },
  };
}

/** A TransactionResponse as GET /v1/transactions/… answers it (the fields the fake models). */
function wire(t: FakeTransaction): Json {
  return {
    id: t.id,
    externalTxId: t.externalTxId ?? '',
    status: t.status,
    subStatus: t.subStatus,
    txHash: t.txHash,
    operation: 'TRANSFER',
    note: t.note ?? '',
    assetId: t.assetId,
    source: { type: 'VAULT_ACCOUNT', id: t.sourceVaultAccountId, name: '' },
    sourceAddress: '',
    destination:
      t.destinationType === 'ONE_TIME_ADDRESS' ? { type: 'ONE_TIME_ADDRESS', id: '', name: 'N/A' } : { type: 'VAULT_ACCOUNT', id: t.destination, name: '' },
    destinationAddress: t.destinationType === 'ONE_TIME_ADDRESS' ? t.destination : '',
    destinationTag: '',
    amountInfo: { amount: t.amount, requestedAmount: t.amount },
    createdAt: t.createdAt,
    lastUpdated: t.lastUpdated,
  };
}

const notFound = (why: string): Reply => ({ status: 404, body: { message: `fireblocks-fake: ${why}` } });

function send(res: ServerResponse, reply: Reply): void {
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'x-request-id': randomUUID(),
    ...(reply.headers ?? {}),
  });
  res.end(text);
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
