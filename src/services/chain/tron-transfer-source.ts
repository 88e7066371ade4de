import { Network } from '../../entities/enums.js';
import { canonicalAddress, tronAddressToEvmHex } from './address.js';
import { mapWithConcurrency } from './retry.js';
import type { ObservedTransfer } from './transfer-source.js';

/**
 * The TRON side of deposit detection, over TronGrid's HTTP API with plain `fetch` (no TRON node runs
 * beside this service). Wire formats, as documented:
 *
 * - `GET /v1/accounts/{address}/transactions/trc20` — TronGrid's indexed TRC20 history of an account:
 *   https://developers.tron.network/reference/get-trc20-transaction-info-by-account-address
 *   Query: only_confirmed | only_unconfirmed (not both), only_to, contract_address, min_timestamp
 *   (ms), order_by=block_timestamp,asc, limit (default 20, max 200), fingerprint (from the previous
 *   page's `meta.fingerprint`; "all other parameters must remain the same"). Answer:
 *   `{ data: [{ transaction_id, token_info: { address, decimals, symbol, name }, block_timestamp,
 *   from, to, type, value }], success, meta: { at, page_size, fingerprint?, links?: { next } } }`.
 *   The list holds TRC20/TRC721 Transfer *and* authorisation (Approval) records; `value` is a decimal
 *   string, addresses base58.
 * - `POST /wallet/gettransactioninfobyid` `{ value: txid }` — the receipt: `{ id, blockNumber,
 *   blockTimeStamp, receipt: { result }, result?: "FAILED", log: [{ address, topics, data }] }`, or `{}`
 *   when the transaction is not on chain. `log[].address` is the 20-byte contract without the 0x41
 *   prefix, topics/data hex without 0x; protobuf defaults and empty lists are left out of the JSON.
 *   https://tronprotocol.github.io/documentation-en/api/http/block-and-tx-query/gettransactioninfobyid/
 * - `POST /wallet/getnowblock` and `POST /wallet/getblockbynum` `{ num }` — `{ blockID, block_header:
 *   { raw_data: { number, parentHash, timestamp, … } } }`, `{}` when the block does not exist.
 *   https://tronprotocol.github.io/documentation-en/api/http/block-and-tx-query/getnowblock/
 *   https://tronprotocol.github.io/documentation-en/api/http/block-and-tx-query/getblockbynum/
 * - Rate limiting: HTTP 429 (TronGrid also documents 403/503 penalties; those are thrown like any
 *   other failure and the watcher's next tick retries), to be retried with backoff:
 *   https://developers.tron.network/reference-link/rate-limits
 */
export interface TronTransferSource {
  /** Latest block number (getnowblock). */
  head(signal: AbortSignal): Promise<number>;
  /**
   * TRC20 transfers of `token` (base58 contract) INTO `address` with block_timestamp >= sinceMs,
   * following `fingerprint` pages (limit 200) up to maxPages. `confirmed` true -> only_confirmed=true,
   * false -> only_unconfirmed=true. For each transfer the block number and the log index come from
   * gettransactioninfobyid (the index of the Transfer log of that contract whose `to` topic matches; a
   * tx whose receipt result is not SUCCESS is skipped), the block hash from getblockbynum. Results
   * sorted by (blockNumber, logIndex). Validates every field (garbage throws a clear Error).
   *
   * More than maxPages pages throws instead of returning a truncated list: a caller that advanced its
   * cursor past a silently dropped page would never see those deposits.
   */
  transfersTo(token: string, address: string, sinceMs: number, confirmed: boolean, signal: AbortSignal): Promise<ObservedTransfer[]>;
  /** blockID for each block number (getblockbynum), null when TronGrid does not have the block. */
  blockHashes(blockNumbers: readonly number[], signal: AbortSignal): Promise<Map<number, string | null>>;
}

/** TronGrid's maximum page size for the v1 list endpoints. */
const PAGE_LIMIT = 200;
const DEFAULT_MAX_PAGES = 50;
const DEFAULT_MAX_RETRIES = 3;
/** Backoff without Retry-After: 1 s, 2 s, 4 s … capped. */
const BACKOFF_BASE_MS = 1000;
const BACKOFF_CAP_MS = 30_000;
/**
 * A Retry-After longer than this is not slept through inside one poll: the read fails as rate
 * limited right away and the watcher's next tick tries again (retrying sooner would only earn
 * another 429).
 */
const MAX_RETRY_AFTER_MS = 60_000;
/** Receipt and block lookups in flight at once; TronGrid keys are limited to a few dozen QPS. */
const LOOKUP_CONCURRENCY = 4;
/** keccak256("Transfer(address,address,uint256)") */
const TRANSFER_TOPIC = 'ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';

type Json = Record<string, unknown>;

export function tronTransferSource(
  apiUrl: string,
  opts: { apiKey?: string; maxPages?: number; maxRetries?: number; sleep?: (ms: number) => Promise<void> },
): TronTransferSource {
  const base = apiUrl.replace(/\/$/, '');
  const maxPages = opts.maxPages ?? DEFAULT_MAX_PAGES;
  const maxRetries = opts.maxRetries ?? DEFAULT_MAX_RETRIES;
  if (!Number.isSafeInteger(maxPages) || maxPages < 1) throw new RangeError(`tronTransferSource: maxPages must be a positive integer, got ${maxPages}`);
  if (!Number.isSafeInteger(maxRetries) || maxRetries < 0) throw new RangeError(`tronTransferSource: maxRetries must be a non-negative integer, got ${maxRetries}`);
  const apiKeyHeader: Record<string, string> = opts.apiKey ? { 'TRON-PRO-API-KEY': opts.apiKey } : {};

  /**
   * Waits `ms`, cut short by the signal (rejecting with its reason, as fetch does) whether or not an
   * injected sleep knows about it.
   */
  async function pause(ms: number, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    await new Promise<void>((ok, fail) => {
      let timer: NodeJS.Timeout | undefined;
      const onAbort = (): void => {
        clearTimeout(timer);
        fail(signal.reason);
      };
      const done = (): void => signal.removeEventListener('abort', onAbort);
      signal.addEventListener('abort', onAbort, { once: true });
      if (opts.sleep) {
        opts.sleep(ms).then(ok, fail).finally(done);
      } else {
        timer = setTimeout(() => {
          done();
          ok();
        }, ms);
      }
    });
  }

  /**
   * One TronGrid call with the 429 policy. `what` names the endpoint in errors (never the host or
   * the key: messages end up in logs and sync-status rows).
   */
  async function call(what: string, init: { method: 'GET' | 'POST'; path: string; query?: URLSearchParams; body?: Json }, signal: AbortSignal): Promise<unknown> {
    const url = `${base}${init.path}${init.query ? `?${init.query.toString()}` : ''}`;
    const headers: Record<string, string> = { accept: 'application/json', ...apiKeyHeader };
    if (init.body) headers['content-type'] = 'application/json';
    for (let attempt = 0; ; attempt++) {
      signal.throwIfAborted();
      const res = await fetch(url, { method: init.method, signal, headers, body: init.body ? JSON.stringify(init.body) : undefined });
      if (res.status === 429) {
        await res.body?.cancel(); // frees the connection for the retry
        const hinted = retryAfterMs(res.headers.get('retry-after'));
        if (attempt >= maxRetries || (hinted !== undefined && hinted > MAX_RETRY_AFTER_MS)) {
          const later = hinted !== undefined ? `; it asks to retry after ${Math.ceil(hinted / 1000)} s` : '';
          throw new Error(`TronGrid rate limited ${what} (HTTP 429) ${attempt + 1} time(s)${later}`);
        }
        await pause(hinted ?? Math.min(BACKOFF_BASE_MS * 2 ** attempt, BACKOFF_CAP_MS), signal);
        continue;
      }
      const text = await res.text();
      if (!res.ok) {
        const why = errorText(parseJson(text));
        throw new Error(`TronGrid answered HTTP ${res.status} to ${what}${why ? `: ${why}` : ''}`);
      }
      const body = parseJson(text);
      if (body === undefined) throw new Error(`TronGrid sent a body that is not JSON for ${what}`);
      return body;
    }
  }

  /** A java-tron `/wallet/…` answer: HTTP 200 either way, failures carry `Error`. */
  async function wallet(name: string, body: Json, signal: AbortSignal): Promise<Json> {
    const what = `/wallet/${name}`;
    const answer = asObject(await call(what, { method: 'POST', path: what, body }, signal), `${what} answer`);
    if (answer.Error !== undefined) throw new Error(`TronGrid refused ${what}: ${String(answer.Error).slice(0, 300)}`);
    return answer;
  }

  async function blockByNum(num: number, signal: AbortSignal): Promise<string | null> {
    const block = parseBlock(await wallet('getblockbynum', { num }, signal), '/wallet/getblockbynum');
    if (block && block.number !== num) throw new Error(`TronGrid answered getblockbynum ${num} with block ${block.number}`);
    return block?.hash ?? null;
  }

  async function listPages(token: string, address: string, sinceMs: number, confirmed: boolean, signal: AbortSignal): Promise<Listed[]> {
    const path = `/v1/accounts/${address}/transactions/trc20`;
    const what = `GET /v1/accounts/…/transactions/trc20`;
    const listed: Listed[] = [];
    let fingerprint: string | undefined;
    for (let page = 1; ; page++) {
      if (page > maxPages) {
        throw new Error(`TronGrid has more than ${maxPages} pages of ${PAGE_LIMIT} TRC20 transfers into ${address} since ${sinceMs}; raise maxPages`);
      }
      // Every page repeats the same filters: TronGrid's fingerprint is only valid with them unchanged.
      const query = new URLSearchParams({
        [confirmed ? 'only_confirmed' : 'only_unconfirmed']: 'true',
        only_to: 'true',
        contract_address: token,
        min_timestamp: String(sinceMs),
        order_by: 'block_timestamp,asc',
        limit: String(PAGE_LIMIT),
      });
      if (fingerprint) query.set('fingerprint', fingerprint);
      const answer = asObject(await call(what, { method: 'GET', path, query }, signal), `${what} answer`);
      if (answer.success !== true) throw new Error(`TronGrid refused ${what}: ${errorText(answer) ?? 'success is not true'}`);
      if (!Array.isArray(answer.data)) throw new Error(`TronGrid ${what}: data is not an array`);
      if (answer.data.length > PAGE_LIMIT) throw new Error(`TronGrid ${what}: ${answer.data.length} items on a page of ${PAGE_LIMIT}`);
      answer.data.forEach((item, i) => {
        const entry = parseListed(item, `TronGrid ${what} data[${i}] (page ${page})`);
        // only_to / contract_address already filter; checked again so a misbehaving index cannot
        // credit another token or an outgoing transfer. Approval records share the list.
        if (entry.type === 'Transfer' && entry.contract === token && entry.to === address && entry.blockTimestamp >= sinceMs) listed.push(entry);
      });
      fingerprint = nextFingerprint(answer.meta, what);
      if (!fingerprint || answer.data.length === 0) return listed;
    }
  }

  return {
    async head(signal) {
      const block = parseBlock(await wallet('getnowblock', {}, signal), '/wallet/getnowblock');
      if (!block) throw new Error('TronGrid /wallet/getnowblock returned no block');
      return block.number;
    },

    async transfersTo(token, address, sinceMs, confirmed, signal) {
      token = canonicalAddress(Network.TRON, token, 'token');
      address = canonicalAddress(Network.TRON, address, 'address');
      if (!Number.isSafeInteger(sinceMs) || sinceMs < 0) throw new RangeError(`transfersTo(): sinceMs must be a non-negative integer, got ${sinceMs}`);
      const listed = await listPages(token, address, sinceMs, confirmed, signal);

      const byTx = new Map<string, Listed[]>();
      for (const entry of listed) {
        const group = byTx.get(entry.txHash);
        if (group) group.push(entry);
        else byTx.set(entry.txHash, [entry]);
      }
      const contractHex = tronAddressToEvmHex(token).slice(2).toLowerCase();
      const placed = await lookups([...byTx], signal, async ([txHash, entries], sig) => {
        const info = parseTxInfo(await wallet('gettransactioninfobyid', { value: txHash }, sig), txHash);
        if (!info) {
          // Listed as confirmed yet unknown to the node: an inconsistency to retry, not a transfer to
          // drop. Unconfirmed: the node serving this call lags TronGrid's index; the next poll sees it.
          if (confirmed) throw new Error(`TronGrid lists confirmed transaction ${txHash} but gettransactioninfobyid does not know it`);
          return [];
        }
        if (!info.success) return []; // reverted: its events never happened
        return matchLogs(entries, info, contractHex);
      });
      const transfers = placed.flat();

      const blocks = [...new Set(transfers.map((t) => t.blockNumber))];
      const hashes = await lookups(blocks, signal, blockByNum);
      const hashOf = new Map(blocks.map((n, i) => [n, hashes[i]]));
      const out: ObservedTransfer[] = transfers.map((t) => {
        const blockHash = hashOf.get(t.blockNumber);
        if (!blockHash) throw new Error(`TronGrid does not have block ${t.blockNumber} of transaction ${t.txHash} yet`);
        return { ...t, blockHash };
      });
      return out.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex || (a.txHash < b.txHash ? -1 : a.txHash > b.txHash ? 1 : 0));
    },

    async blockHashes(blockNumbers, signal) {
      for (const n of blockNumbers) {
        if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`blockHashes(): ${n} is not a block number`);
      }
      const unique = [...new Set(blockNumbers)];
      const hashes = await lookups(unique, signal, blockByNum);
      return new Map(unique.map((n, i) => [n, hashes[i] ?? null]));
    },
  };
}

/**
 * Runs lookups LOOKUP_CONCURRENCY at a time; the first failure cancels the ones still queued or in
 * flight instead of letting them run on for a result nobody will read.
 */
async function lookups<I, O>(items: readonly I[], signal: AbortSignal, fn: (item: I, signal: AbortSignal) => Promise<O>): Promise<O[]> {
  const stop = new AbortController();
  const both = AbortSignal.any([signal, stop.signal]);
  try {
    return await mapWithConcurrency(items, LOOKUP_CONCURRENCY, (item) => fn(item, both));
  } catch (e) {
    stop.abort(e);
    // The caller's abort reason wins over a sibling's "aborted" echo.
    throw signal.aborted ? signal.reason : e;
  }
}

/** One record of the v1 TRC20 list, validated. */
interface Listed {
  txHash: string;
  contract: string;
  type: string;
  from: string;
  to: string;
  amount: bigint;
  blockTimestamp: number;
}

interface TxInfo {
  blockNumber: number;
  success: boolean;
  logs: { address: string; topics: string[]; data: string }[];
}

const HEX64 = /^[0-9a-fA-F]{64}$/;
const UINT256_LIMIT = 1n << 256n;

function parseListed(item: unknown, where: string): Listed {
  const entry = asObject(item, where);
  const tokenInfo = asObject(entry.token_info, `${where}.token_info`);
  const txHash = entry.transaction_id;
  if (typeof txHash !== 'string' || !HEX64.test(txHash)) throw new Error(`${where}.transaction_id is not 64 hex characters`);
  if (typeof entry.type !== 'string') throw new Error(`${where}.type is not a string`);
  const value = entry.value;
  if (typeof value !== 'string' || !/^\d{1,78}$/.test(value) || BigInt(value) >= UINT256_LIMIT) {
    throw new Error(`${where}.value is not a decimal uint256 string: ${JSON.stringify(value)?.slice(0, 100)}`);
  }
  return {
    txHash: txHash.toLowerCase(),
    contract: tronAddress(tokenInfo.address, `${where}.token_info.address`),
    type: entry.type,
    from: tronAddress(entry.from, `${where}.from`),
    to: tronAddress(entry.to, `${where}.to`),
    amount: BigInt(value),
    blockTimestamp: nonNegativeInt(entry.block_timestamp, `${where}.block_timestamp`),
  };
}

/** null for `{}` (not on chain); throws on anything malformed. */
function parseTxInfo(body: Json, txHash: string): TxInfo | null {
  const where = `TronGrid gettransactioninfobyid ${txHash}`;
  if (Object.keys(body).length === 0) return null;
  if (typeof body.id !== 'string' || body.id.toLowerCase() !== txHash) throw new Error(`${where}: answered for id ${JSON.stringify(body.id)?.slice(0, 80)}`);
  const blockNumber = nonNegativeInt(body.blockNumber, `${where}.blockNumber`);
  const receipt = asObject(body.receipt, `${where}.receipt`);
  // `result` (SUCESS, sic, is the protobuf default and left out) says FAILED for a failed tx;
  // receipt.result carries the contract's outcome (SUCCESS, REVERT, OUT_OF_ENERGY, …).
  const success = body.result !== 'FAILED' && receipt.result === 'SUCCESS';
  const rawLogs = body.log ?? []; // an empty repeated field is left out of java-tron's JSON
  if (!Array.isArray(rawLogs)) throw new Error(`${where}.log is not an array`);
  const logs = rawLogs.map((raw, i) => {
    const log = asObject(raw, `${where}.log[${i}]`);
    const topics = log.topics ?? [];
    const data = log.data ?? '';
    if (typeof log.address !== 'string' || !/^[0-9a-fA-F]{40}$/.test(log.address)) throw new Error(`${where}.log[${i}].address is not 20-byte hex`);
    if (!Array.isArray(topics) || !topics.every((t): t is string => typeof t === 'string' && HEX64.test(t))) throw new Error(`${where}.log[${i}].topics is not a list of 32-byte hex`);
    if (typeof data !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(data)) throw new Error(`${where}.log[${i}].data is not hex`);
    return { address: log.address.toLowerCase(), topics: topics.map((t) => t.toLowerCase()), data: data.toLowerCase() };
  });
  return { blockNumber, success, logs };
}

/**
 * Places each listed transfer of one transaction on its Transfer log: same contract, same indexed
 * from/to, same value. Each log serves one listed record, so a transaction paying the address twice
 * yields two transfers with two log indexes.
 */
function matchLogs(entries: readonly Listed[], info: TxInfo, contractHex: string): Omit<ObservedTransfer, 'blockHash'>[] {
  const used = new Set<number>();
  return entries.map((entry) => {
    const fromTopic = addressTopic(entry.from);
    const toTopic = addressTopic(entry.to);
    const logIndex = info.logs.findIndex(
      (log, i) =>
        !used.has(i) &&
        log.address === contractHex &&
        log.topics.length === 3 &&
        log.topics[0] === TRANSFER_TOPIC &&
        log.topics[1] === fromTopic &&
        log.topics[2] === toTopic &&
        log.data.length === 64 &&
        BigInt(`0x${log.data}`) === entry.amount,
    );
    if (logIndex < 0) throw new Error(`TronGrid lists a transfer of ${entry.amount} to ${entry.to} in transaction ${entry.txHash} that its receipt has no Transfer log for`);
    used.add(logIndex);
    return { txHash: entry.txHash, logIndex, from: entry.from, to: entry.to, amount: entry.amount, blockNumber: info.blockNumber };
  });
}

/** An indexed address argument: the 20-byte account left-padded to 32 bytes. */
function addressTopic(base58: string): string {
  return tronAddressToEvmHex(base58).slice(2).toLowerCase().padStart(64, '0');
}

/**
 * `{}` -> null; otherwise the number and lower-case blockID. A TRON blockID starts with the block
 * number as 8 big-endian bytes, which is checked so a hash is never filed under the wrong height.
 */
function parseBlock(body: Json, what: string): { number: number; hash: string } | null {
  if (Object.keys(body).length === 0) return null;
  const where = `TronGrid ${what}`;
  const hash = body.blockID;
  if (typeof hash !== 'string' || !HEX64.test(hash)) throw new Error(`${where}: blockID is not 64 hex characters`);
  const header = asObject(body.block_header, `${where}.block_header`);
  const raw = asObject(header.raw_data, `${where}.block_header.raw_data`);
  // number 0 (genesis) is a protobuf default and is left out of the JSON.
  const number = raw.number === undefined ? 0 : nonNegativeInt(raw.number, `${where}.block_header.raw_data.number`);
  if (BigInt(`0x${hash.slice(0, 16)}`) !== BigInt(number)) throw new Error(`${where}: blockID ${hash} does not belong to block ${number}`);
  return { number, hash: hash.toLowerCase() };
}

/** The next page's fingerprint: `meta.fingerprint`, else the one in `meta.links.next`. */
function nextFingerprint(metaValue: unknown, what: string): string | undefined {
  if (metaValue === undefined) return undefined;
  const meta = asObject(metaValue, `TronGrid ${what} meta`);
  if (meta.fingerprint !== undefined) {
    if (typeof meta.fingerprint !== 'string') throw new Error(`TronGrid ${what} meta.fingerprint is not a string`);
    return meta.fingerprint || undefined;
  }
  const links = meta.links === undefined ? undefined : asObject(meta.links, `TronGrid ${what} meta.links`);
  if (typeof links?.next !== 'string') return undefined;
  // Only the fingerprint is taken from the link: the link names TronGrid's public host, which need
  // not be the configured apiUrl (a proxy, a test server).
  try {
    return new URL(links.next).searchParams.get('fingerprint') || undefined;
  } catch {
    throw new Error(`TronGrid ${what} meta.links.next is not a URL`);
  }
}

function tronAddress(value: unknown, where: string): string {
  try {
    return canonicalAddress(Network.TRON, typeof value === 'string' ? value : '', where);
  } catch (e) {
    // canonicalAddress throws a client-input error (a 400 to an API caller); a bad upstream answer is
    // a plain failure. Its message already names `where` and what is wrong.
    const why = e instanceof Error ? e.message : `${where} is not a base58 TRON address`;
    throw new Error(`${why}: ${JSON.stringify(value)?.slice(0, 60)}`, { cause: e });
  }
}

function nonNegativeInt(value: unknown, where: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) throw new Error(`${where} is not a non-negative integer: ${JSON.stringify(value)?.slice(0, 60)}`);
  return value;
}

function asObject(value: unknown, where: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new Error(`${where} is not a JSON object`);
  return value as Json;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** TronGrid's own words from an error body: v1 says `error`, java-tron says `Error`. */
function errorText(body: unknown): string | undefined {
  if (body === null || typeof body !== 'object') return undefined;
  const { error, Error: javaError } = body as Json;
  const text = typeof error === 'string' ? error : typeof javaError === 'string' ? javaError : undefined;
  return text?.slice(0, 300);
}

/** Retry-After as delay-seconds or an HTTP-date (RFC 9110 §10.2.3); undefined when absent or unreadable. */
function retryAfterMs(header: string | null): number | undefined {
  if (header === null) return undefined;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
