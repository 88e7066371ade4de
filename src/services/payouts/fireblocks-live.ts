/**
 * LIVE custody adapter: Fireblocks through @fireblocks/ts-sdk 18.
 *
 * submit() is POST /v1/transactions: a TRANSFER of `custodyAssetId` from the configured vault account to
 * a ONE_TIME_ADDRESS, the amount as a decimal string of whole units, `externalTxId` in the body and the
 * same value as the Idempotency-Key header. lookup() is GET /v1/transactions/external_tx_id/{externalTxId}.
 *
 * What the SDK does on the wire (node_modules/@fireblocks/ts-sdk/network/*.ts, 18.0.0): every request
 * carries `X-API-Key` and `Authorization: Bearer <JWT>`, an RS256 JWT with { uri: path+query, nonce: uuid,
 * iat, exp: iat + 55, sub: apiKey, bodyHash: sha256 hex of the serialized body ("" for GET) }. The SDK
 * has no retry of its own and axios has none by default: one call, one HTTP request. We also turn off
 * redirects, so a 307/308 can never make axios re-send a POST on its own.
 *
 * Errors: the SDK rejects with FireblocksError, which is NOT an Error subclass: { message, response?:
 * { statusCode, data, headers }, request } — `request` is the Node ClientRequest, whose headers hold the
 * JWT and the API key, so it is never kept, logged or chained as a cause. No `response` means no answer
 * (timeout, refused connection, reset, cancel). Mapping:
 * - 2xx: the result.
 * - 408, 429, 5xx, any other non-4xx status, no answer, our own deadline or the caller's abort:
 *   CustodyUnavailableError — the transaction may or may not exist; look it up before anything else.
 * - 400 "doesn't support the usage of the same idempotency key after an internal error" (Fireblocks
 *   answers this to a retry whose key first met a 500; changelog, 2023-01-30): CustodyUnavailableError too,
 *   since the first attempt's fate is as unknown as it was.
 * - 400 code 1438 on submit ("The external tx id that was provided in the request, already exists"):
 *   a transaction with our key exists, so submit looks it up and answers it (idempotent submit).
 * - other 4xx, 401 included (authentication happens before anything is created): CustodyRefusedError
 *   with Fireblocks' code and message.
 * - lookup: 404 is "no such transaction" -> null.
 *
 * axios' `timeout` is a socket inactivity timer (a server trickling bytes keeps it alive), so every call
 * also races a hard deadline of `timeoutMs`, and the caller's AbortSignal.
 */
import { createPrivateKey } from 'node:crypto';
import {
  Fireblocks,
  FireblocksError,
  TransactionOperation,
  TransferPeerPathType,
  type TransactionRequest,
  type TransactionResponse,
} from '@fireblocks/ts-sdk';
import {
  CustodyRefusedError,
  CustodyUnavailableError,
  type CustodyPort,
  type CustodyTransaction,
  type PayoutRequest,
} from './custody-port.js';

export interface FireblocksLiveOptions {
  /** The API user's key (X-API-Key, JWT `sub`). */
  apiKey: string;
  /** The API user's RSA private key, PEM. */
  secretKeyPem: string;
  /** e.g. https://api.fireblocks.io/v1 (BasePath.US); the `/v1` is part of it and of every JWT `uri`. */
  basePath: string;
  /** The vault account payouts are sent from. */
  vaultAccountId: string;
  /** Upper bound of one HTTP call, in ms. */
  timeoutMs: number;
}

/** A Fireblocks refusal, with what it answered (no headers). */
export class FireblocksRefusedError extends CustodyRefusedError {
  constructor(
    message: string,
    /** HTTP status, or null when we refused before sending. */
    readonly httpStatus: number | null,
    /** Fireblocks' error code (e.g. 1438, -1), when it sent one. */
    readonly fireblocksCode: number | null,
  ) {
    super(message);
    this.name = 'FireblocksRefusedError';
  }
}

/** No usable answer from Fireblocks: the transaction may or may not exist. `status` is set when it answered. */
export class FireblocksUnavailableError extends CustodyUnavailableError {
  constructor(
    message: string,
    /** HTTP status, or null when no answer came (timeout, network, abort). */
    readonly httpStatus: number | null,
    readonly fireblocksCode: number | null = null,
  ) {
    // No `cause`: the SDK's error holds the request, whose headers carry the JWT and the API key.
    super(message, httpStatus === null ? {} : { status: httpStatus });
    this.name = 'FireblocksUnavailableError';
  }
}

/** Fireblocks' code for a create whose externalTxId is already taken (developers.fireblocks.com/docs/manage-withdrawals-at-scale). */
export const EXTERNAL_TX_ID_EXISTS = 1438;

/** Fireblocks keeps Idempotency-Key values of at most 40 characters (developers.fireblocks.com/reference/api-idempotency). */
const MAX_IDEMPOTENCY_KEY = 40;
const DECIMAL = /^(0|[1-9]\d*)(\.\d+)?$/;
const MAX_MESSAGE = 300;

export function fireblocksLive(opts: FireblocksLiveOptions): CustodyPort {
  const { apiKey, secretKeyPem, basePath, vaultAccountId, timeoutMs } = opts;
  if (typeof apiKey !== 'string' || apiKey.trim() === '') throw new TypeError('fireblocksLive: apiKey is empty');
  if (typeof vaultAccountId !== 'string' || vaultAccountId.trim() === '') throw new TypeError('fireblocksLive: vaultAccountId is empty');
  if (!Number.isSafeInteger(timeoutMs) || timeoutMs <= 0) throw new RangeError(`fireblocksLive: timeoutMs must be a positive integer, got ${timeoutMs}`);
  let base: URL;
  try {
    base = new URL(basePath);
  } catch {
    throw new TypeError('fireblocksLive: basePath is not an absolute URL');
  }
  if (base.protocol !== 'https:' && base.protocol !== 'http:') throw new TypeError(`fireblocksLive: basePath must be http(s), got ${base.protocol}`);
  // Fail at boot, not at the first payout (the SDK signs lazily); the error never quotes the key.
  try {
    const key = createPrivateKey(secretKeyPem);
    if (key.asymmetricKeyType !== 'rsa') throw new Error('not RSA');
  } catch {
    throw new TypeError('fireblocksLive: secretKeyPem is not an RSA private key in PEM');
  }

  /** Aborted by close(): cancels whatever is still in flight. */
  const closing = new AbortController();
  // No network on construction: the SDK only builds its axios instance here.
  const fireblocks = new Fireblocks({
    apiKey,
    secretKey: secretKeyPem,
    basePath: basePath.replace(/\/+$/, ''),
    additionalOptions: {
      baseOptions: { timeout: timeoutMs, maxRedirects: 0, signal: closing.signal },
      userAgent: 'vestline-payouts',
    },
  });
  const transactions = fireblocks.transactions;

  /** Never lets the API key or a JWT through into a message. */
  const scrub = (text: string): string =>
    text.split(apiKey).join('[api key]').replace(/eyJ[\w-]*\.[\w-]*\.[\w-]*/g, '[jwt]').slice(0, MAX_MESSAGE);

  const guard = (signal: AbortSignal, op: string): void => {
    if (closing.signal.aborted) throw new FireblocksUnavailableError(`Fireblocks ${op}: the adapter is closed`, null);
    if (signal.aborted) throw new FireblocksUnavailableError(`Fireblocks ${op}: aborted by the caller before sending`, null);
  };

  /** Runs one SDK call under the caller's signal and a hard deadline; errors come out classified. */
  const call = <T>(op: string, signal: AbortSignal, work: () => Promise<T>): Promise<T> => {
    const deadline = AbortSignal.timeout(timeoutMs);
    const p = work().catch((e: unknown) => {
      throw classify(op, e);
    });
    return new Promise<T>((ok, fail) => {
      const onAbort = (): void =>
        fail(
          new FireblocksUnavailableError(
            deadline.aborted ? `Fireblocks ${op}: no answer within ${timeoutMs} ms` : `Fireblocks ${op}: aborted by the caller`,
            null,
          ),
        );
      const watched = [signal, deadline];
      if (watched.some((s) => s.aborted)) return onAbort();
      for (const s of watched) s.addEventListener('abort', onAbort, { once: true });
      p.then(ok, fail).finally(() => {
        for (const s of watched) s.removeEventListener('abort', onAbort);
      });
    });
  };

  const classify = (op: string, e: unknown): CustodyRefusedError | CustodyUnavailableError => {
    if (e instanceof CustodyRefusedError || e instanceof CustodyUnavailableError) return e;
    if (!(e instanceof FireblocksError)) {
      // Something inside the SDK or axios threw (not an HTTP answer): we cannot tell whether it was sent.
      const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      return new FireblocksUnavailableError(`Fireblocks ${op}: ${scrub(what)}`, null);
    }
    const response = e.response;
    if (!response) return new FireblocksUnavailableError(`Fireblocks ${op}: no answer (${scrub(String(e.message))})`, null);
    const status = response.statusCode;
    const { code, message } = errorBody(response.data);
    const detail = `HTTP ${status}${code !== null ? ` code ${code}` : ''}${message ? `: ${scrub(message)}` : ''}`;
    if (status === 408 || status === 429 || status >= 500 || status < 400) {
      return new FireblocksUnavailableError(`Fireblocks ${op}: ${detail}`, status, code);
    }
    if (status === 400 && message !== null && /same idempotency key/i.test(message)) {
      return new FireblocksUnavailableError(`Fireblocks ${op}: ${detail} (an earlier attempt with this key met an internal error; look it up)`, status, code);
    }
    return new FireblocksRefusedError(`Fireblocks ${op}: ${detail}`, status, code);
  };

  const findByExternalId = async (externalTxId: string, signal: AbortSignal): Promise<CustodyTransaction | null> => {
    try {
      const res = await call('getTransactionByExternalId', signal, () => transactions.getTransactionByExternalId({ externalTxId }));
      return toCustodyTransaction(res.data, externalTxId);
    } catch (e) {
      if (e instanceof FireblocksRefusedError && e.httpStatus === 404) return null;
      throw e;
    }
  };

  const toCustodyTransaction = (tx: TransactionResponse | undefined, externalTxId: string): CustodyTransaction => {
    if (!tx || typeof tx.id !== 'string' || tx.id === '' || typeof tx.status !== 'string' || tx.status === '') {
      throw new FireblocksUnavailableError('Fireblocks getTransactionByExternalId: answer without id or status', 200);
    }
    const ext = nonEmpty(tx.externalTxId);
    if (ext !== null && ext !== externalTxId) {
      throw new FireblocksUnavailableError('Fireblocks getTransactionByExternalId: answered a transaction with another externalTxId', 200);
    }
    return { id: tx.id, externalTxId: ext, status: tx.status, subStatus: nonEmpty(tx.subStatus), txHash: nonEmpty(tx.txHash) };
  };

  return {
    mode: 'LIVE',

    async submit(request: PayoutRequest, signal: AbortSignal): Promise<{ id: string; status: string }> {
      const invalid = checkRequest(request);
      if (invalid) throw new FireblocksRefusedError(`Fireblocks createTransaction: not sent, ${invalid}`, null, null);
      guard(signal, 'createTransaction');
      const transactionRequest: TransactionRequest = {
        operation: TransactionOperation.Transfer,
        assetId: request.custodyAssetId,
        source: { type: TransferPeerPathType.VaultAccount, id: vaultAccountId },
        destination: { type: TransferPeerPathType.OneTimeAddress, oneTimeAddress: { address: request.destinationAddress } },
        amount: request.amount,
        externalTxId: request.externalTxId,
        ...(request.note !== undefined ? { note: request.note } : {}),
      };
      try {
        const res = await call('createTransaction', signal, () =>
          transactions.createTransaction({ transactionRequest, idempotencyKey: request.externalTxId }),
        );
        const { id, status } = res.data ?? {};
        if (typeof id !== 'string' || id === '' || typeof status !== 'string' || status === '') {
          // A 2xx we cannot read: it may well have been created.
          throw new FireblocksUnavailableError(`Fireblocks createTransaction: HTTP ${res.statusCode} without id or status`, res.statusCode);
        }
        return { id, status };
      } catch (e) {
        if (!(e instanceof FireblocksRefusedError) || e.fireblocksCode !== EXTERNAL_TX_ID_EXISTS) throw e;
        // Our key is taken: by our own earlier attempt (the key is derived from the release). Answer that one.
        const existing = await findByExternalId(request.externalTxId, signal);
        if (!existing) {
          throw new FireblocksUnavailableError(
            `Fireblocks createTransaction: externalTxId already exists (code ${EXTERNAL_TX_ID_EXISTS}) but the lookup found none`,
            e.httpStatus,
            e.fireblocksCode,
          );
        }
        return { id: existing.id, status: existing.status };
      }
    },

    async lookup(externalTxId: string, signal: AbortSignal): Promise<CustodyTransaction | null> {
      if (typeof externalTxId !== 'string' || externalTxId === '') {
        throw new FireblocksRefusedError('Fireblocks getTransactionByExternalId: not sent, externalTxId is empty', null, null);
      }
      guard(signal, 'getTransactionByExternalId');
      return findByExternalId(externalTxId, signal);
    },

    async close(): Promise<void> {
      closing.abort();
    },
  };
}

function checkRequest(r: PayoutRequest): string | null {
  if (typeof r.externalTxId !== 'string' || r.externalTxId === '') return 'externalTxId is empty';
  if (r.externalTxId.length > MAX_IDEMPOTENCY_KEY) return `externalTxId is longer than ${MAX_IDEMPOTENCY_KEY} characters (the Idempotency-Key limit)`;
  if (typeof r.custodyAssetId !== 'string' || r.custodyAssetId === '') return 'custodyAssetId is empty';
  if (typeof r.destinationAddress !== 'string' || r.destinationAddress === '') return 'destinationAddress is empty';
  if (typeof r.amount !== 'string' || !DECIMAL.test(r.amount) || !/[1-9]/.test(r.amount)) return `amount must be a positive decimal string, got ${JSON.stringify(r.amount)}`;
  return null;
}

/** Fireblocks' error body is { message, code } (ErrorSchema); anything else (a proxy's HTML page) gives nulls. */
function errorBody(data: unknown): { code: number | null; message: string | null } {
  if (typeof data !== 'object' || data === null) return { code: null, message: null };
  const { code, message } = data as { code?: unknown; message?: unknown };
  return {
    code: typeof code === 'number' && Number.isFinite(code) ? code : null,
    message: typeof message === 'string' && message !== '' ? message : null,
  };
}

const nonEmpty = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
