import { createHmac, createPrivateKey, randomBytes, randomUUID, sign, type JsonWebKey, type KeyObject } from 'node:crypto';
import { Agent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { exportJWK, generateKeyPair, type JSONWebKeySet, type JWK } from 'jose';
import type { Orm } from '../../db/orm.js';
import type { Logger } from '../../logger.js';
import { isUniqueViolation } from '../errors.js';
import { CustodyRefusedError, type CustodyPort, type CustodyTransaction, type PayoutRequest } from './custody-port.js';

/** The MOCK simulator: in-process, its transactions and signing key in the database (mock_custody_*). */
export interface MockCustody extends CustodyPort {
  readonly mode: 'MOCK';
  /** Where its webhooks go (this server's POST /webhooks/fireblocks); until set, none are sent. */
  deliverTo(url: string): void;
  /** The next submission with this externalTxId ends FAILED instead of COMPLETED. */
  failNext(externalTxId: string): void;
  /** Its public signing key, as the JWKS the webhook route trusts in MOCK mode. */
  jwks(): JSONWebKeySet;
}

interface TxRow {
  id: string;
  external_tx_id: string;
  fail: boolean;
  tx_hash: string;
  created_at: Date | string;
}

const KID = 'vestline-mock-custody-1';
const DELIVERY_ATTEMPTS = 3;
const DELIVERY_TIMEOUT_MS = 10_000;
/**
 * Webhooks in flight at once (kept-alive connections to the route): more would only queue on the
 * server's pool of database connections, and Fireblocks does not open hundreds at once either.
 */
const DELIVERY_CONNECTIONS = 16;
/** The v2 JWS protected header, the same for every webhook: {"alg":"RS512","kid":…}. */
const PROTECTED = Buffer.from(JSON.stringify({ alg: 'RS512', kid: KID })).toString('base64url');

/** SUBMITTED for a step, CONFIRMING for two, then COMPLETED (or FAILED when told to): about 3 s by default. */
function statusAt(row: TxRow, now: number, stepMs: number): string {
  const age = now - new Date(row.created_at).getTime();
  if (age < stepMs) return 'SUBMITTED';
  if (age < 3 * stepMs) return 'CONFIRMING';
  return row.fail ? 'FAILED' : 'COMPLETED';
}

function asTransaction(row: TxRow, status: string): CustodyTransaction {
  return { id: row.id, externalTxId: row.external_tx_id, status, subStatus: status === 'FAILED' ? 'INSUFFICIENT_FUNDS' : null, txHash: status === 'COMPLETED' ? row.tx_hash : null };
}

/** The shared signing key: made once by whichever process comes first, read by the others. */
async function signingKey(orm: Orm): Promise<{ privateKey: KeyObject; publicJwk: JWK }> {
  const em = orm.em.fork();
  const read = () => em.execute<{ private_jwk: JWK; public_jwk: JWK }[]>('select private_jwk, public_jwk from mock_custody_key where kid = ?', [KID]);
  let [row] = await read();
  if (!row) {
    const { privateKey, publicKey } = await generateKeyPair('RS512', { modulusLength: 2048, extractable: true });
    const publicJwk = { ...(await exportJWK(publicKey)), kid: KID, alg: 'RS512', use: 'sig' };
    await em.execute('insert into mock_custody_key (kid, private_jwk, public_jwk, created_at) values (?, ?, ?, now()) on conflict (kid) do nothing', [
      KID,
      JSON.stringify(await exportJWK(privateKey)),
      JSON.stringify(publicJwk),
    ]);
    [row] = await read();
  }
  return { privateKey: createPrivateKey({ key: row!.private_jwk as JsonWebKey, format: 'jwk' }), publicJwk: row!.public_jwk };
}

/** RSASSA-PKCS1-v1_5 with SHA-512 (RS512) in libuv's thread pool, off the event loop. */
function rs512(data: Buffer, key: KeyObject): Promise<Buffer> {
  return new Promise((resolve, reject) => sign('sha512', data, key, (err, signature) => (err ? reject(err) : resolve(signature))));
}

/**
 * The two Fireblocks signature headers for `body`, as webhook-signer.ts makes them (and Fireblocks
 * sends them): v2, a detached compact JWS `<protected>..<signature>` over `<protected>.<base64url body>`;
 * v1, base64 RS512 over the body; byte for byte what signFireblocksWebhook gives. Both signed at once
 * with node:crypto in the thread pool: the simulator is Node-only and runs in the API process, so it
 * spares the event loop jose's extra encoding passes.
 */
async function signWebhook(body: Buffer, key: KeyObject): Promise<{ v2: string; v1: string }> {
  const [v2, v1] = await Promise.all([rs512(Buffer.from(`${PROTECTED}.${body.toString('base64url')}`), key), rs512(body, key)]);
  return { v2: `${PROTECTED}..${v2.toString('base64url')}`, v1: v1.toString('base64') };
}

/**
 * POSTs `body` and resolves with the status, over a kept-alive connection of `agents` (node:http:
 * about a third of the event-loop time per webhook that `fetch` took in bench:payouts' CPU profiles).
 */
function post(target: string, headers: Record<string, string>, body: Buffer, agents: { http: Agent; https: HttpsAgent }): Promise<number> {
  const url = new URL(target);
  const secure = url.protocol === 'https:';
  return new Promise((resolve, reject) => {
    const req = (secure ? httpsRequest : httpRequest)(url, { method: 'POST', agent: secure ? agents.https : agents.http, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.setTimeout(DELIVERY_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${DELIVERY_TIMEOUT_MS} ms`)));
    req.once('error', reject);
    req.end(body);
  });
}

/**
 * A Fireblocks stand-in for development and tests (PAYOUT_MODE=MOCK): it assigns custody ids, walks
 * each transaction SUBMITTED -> CONFIRMING -> COMPLETED, and posts webhooks signed with its own RSA key
 * in both Fireblocks schemes to this server's real webhook route over HTTP, so verification, storage
 * and settlement run exactly as in production. Statuses follow from the creation time, so every
 * process answers a lookup the same way and a restart loses nothing.
 */
export async function createMockCustody(opts: { orm: Orm; logger: Logger; stepMs: number; edgeSecret?: string }): Promise<MockCustody> {
  const { orm, logger, stepMs } = opts;
  const key = await signingKey(orm);
  const timers = new Set<NodeJS.Timeout>();
  const failing = new Set<string>();
  let target: string | undefined;

  const agents = {
    http: new Agent({ keepAlive: true, maxSockets: DELIVERY_CONNECTIONS }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: DELIVERY_CONNECTIONS }),
  };

  const deliver = async (type: string, tx: CustodyTransaction, attempt = 1): Promise<void> => {
    if (!target) return;
    const to = target;
    const body = Buffer.from(JSON.stringify({ id: randomUUID(), eventType: type, createdAt: Date.now(), workspaceId: 'mock', data: tx }));
    try {
      const signatures = await signWebhook(body, key.privateKey);
      const headers: Record<string, string> = { 'content-type': 'application/json', 'fireblocks-webhook-signature': signatures.v2, 'fireblocks-signature': signatures.v1 };
      if (opts.edgeSecret) {
        // Behind the edge protocol the API takes only edge-signed requests: sign as the edge worker would.
        const ts = String(Math.floor(Date.now() / 1000));
        headers['x-edge-timestamp'] = ts;
        headers['x-edge-signature'] = createHmac('sha256', opts.edgeSecret).update(`${ts}.`).update(body).digest('hex');
      }
      const status = await post(to, headers, body, agents);
      if (status < 200 || status >= 300) throw new Error(`HTTP ${status}`);
    } catch (err) {
      if (attempt >= DELIVERY_ATTEMPTS) return logger.warn({ err, custodyTxId: tx.id }, 'mock custody: webhook not delivered; reconcile will settle it');
      later(() => void deliver(type, tx, attempt + 1), 1000 * attempt);
    }
  };

  const later = (fn: () => void, ms: number) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    t.unref();
    timers.add(t);
  };

  const lookupRow = async (externalTxId: string) =>
    (await orm.em.fork().execute<TxRow[]>('select id, external_tx_id, fail, tx_hash, created_at from mock_custody_tx where external_tx_id = ?', [externalTxId]))[0];

  return {
    mode: 'MOCK',
    deliverTo(url) {
      target = url;
    },
    failNext(externalTxId) {
      failing.add(externalTxId);
    },
    jwks: () => ({ keys: [key.publicJwk] }),

    async submit(req: PayoutRequest) {
      if (!req.custodyAssetId) throw new CustodyRefusedError('assetId is required (the DISTRIBUTION asset has no custodyAssetId)');
      const fail = failing.delete(req.externalTxId);
      const row: TxRow = { id: randomUUID(), external_tx_id: req.externalTxId, fail, tx_hash: `0x${randomBytes(32).toString('hex')}`, created_at: new Date() };
      try {
        await orm.em
          .fork()
          .execute('insert into mock_custody_tx (id, external_tx_id, asset_id, amount, destination, fail, tx_hash, created_at) values (?, ?, ?, ?, ?, ?, ?, ?)', [
            row.id,
            req.externalTxId,
            req.custodyAssetId,
            req.amount,
            req.destinationAddress,
            fail,
            row.tx_hash,
            row.created_at,
          ]);
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
        // As at Fireblocks, an externalTxId names one transaction forever (a retried release goes out under
        // its next attempt's key, custody-key.ts); a resubmission is answered with the existing one, as the
        // LIVE adapter answers Fireblocks' code 1438.
        const existing = (await lookupRow(req.externalTxId))!;
        return { id: existing.id, status: statusAt(existing, Date.now(), stepMs) };
      }
      void deliver('transaction.created', asTransaction(row, 'SUBMITTED'));
      later(() => void deliver('transaction.status.updated', asTransaction(row, 'CONFIRMING')), stepMs);
      later(() => void deliver('transaction.status.updated', asTransaction(row, fail ? 'FAILED' : 'COMPLETED')), 3 * stepMs);
      return { id: row.id, status: 'SUBMITTED' };
    },

    async lookup(externalTxId) {
      const row = await lookupRow(externalTxId);
      return row ? asTransaction(row, statusAt(row, Date.now(), stepMs)) : null;
    },

    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      agents.http.destroy();
      agents.https.destroy();
    },
  };
}
