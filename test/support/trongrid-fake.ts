import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { id } from 'ethers';
import { TronWeb } from 'tronweb';

/**
 * A local stand-in for TronGrid (java-tron's HTTP API plus TronGrid's v1 index) that answers what the
 * TRC20 balance read and the TRON deposit watcher need.
 *
 * Balance reads: POST /wallet/triggerconstantcontract (and /walletsolidity/…, same state) calling
 * `balanceOf(address)`.
 *
 * Wire format, from java-tron's TriggerConstantContractServlet and JsonFormat/HttpSelfFormatFieldName:
 * - request `{ owner_address, contract_address, function_selector, parameter, visible? }` (or `data`
 *   = selector + parameter instead of function_selector/parameter); with `visible: true` the
 *   addresses are base58 `T…`, otherwise hex `41…`.
 * - success: HTTP 200 `{ result: { result: true }, energy_used, constant_result: [<64 hex>],
 *   transaction: {…} }`.
 * - a contract address with no contract: HTTP 200 `{ result: { code: "CONTRACT_VALIDATE_ERROR",
 *   message } }`, message "Smart contract is not exist." — plain text when `visible: true`, hex of
 *   its UTF-8 bytes otherwise (`Return.message` is a "name string" field); `result: false` is a
 *   protobuf default and is left out of the JSON.
 * - a malformed request: HTTP 200 with code OTHER_ERROR, as java-tron answers any other exception.
 *   Missing fields use java-tron's wording; the fake's own stricter checks (address format for the
 *   `visible` mode, a balanceOf parameter with dirty padding, a selector other than balanceOf) say
 *   "trongrid-fake: …" so a client bug is obvious in a test failure.
 *
 * The balance looked up is that of the address in `parameter` (the holder); `owner_address` is only
 * the caller. A contract exists once setBalance() has named it.
 *
 * Deposit detection, over the transfers added with addTransfer():
 * - `GET /v1/accounts/{address}/transactions/trc20` (TronGrid v1,
 *   https://developers.tron.network/reference/get-trc20-transaction-info-by-account-address).
 *   Query (snake_case or camelCase): only_confirmed / only_unconfirmed (both true: HTTP 400),
 *   only_to / only_from (neither or both: either direction), contract_address (base58 or 41… hex),
 *   min_timestamp / min_block_timestamp (inclusive, default 0), max_timestamp / max_block_timestamp
 *   (inclusive, default now), order_by `block_timestamp,asc|desc` (default desc; `timestamp,…` too),
 *   limit (default 20, 1..200, otherwise HTTP 400), fingerprint. Answer HTTP 200
 *   `{ data: [{ transaction_id, token_info: { symbol, address, decimals, name }, block_timestamp,
 *   from, to, type: "Transfer", value: "<decimal>" }], success: true, meta: { at, page_size,
 *   fingerprint?, links?: { next } } }`, addresses base58. `fingerprint` and `links.next` (the same
 *   query plus fingerprint, on this server) are present only while more records follow; a fingerprint
 *   is opaque and names the last record of its page. Bad parameters: HTTP 400 `{ success: false,
 *   error, statusCode: 400 }`.
 * - `POST /wallet/gettransactioninfobyid` `{ value: txid, visible? }` -> `{ id, fee, blockNumber,
 *   blockTimeStamp, contractResult: [""], contract_address: "41…", receipt: { energy_usage_total,
 *   net_fee, result }, log: [{ address: <40 hex, no 41>, topics: [<64 hex>…], data: <hex> }] }`; a
 *   failed transaction (receiptResult other than SUCCESS) has `result: "FAILED"`, a hex `resMessage`
 *   and no `log`. A transaction's logs sit at the transfers' logIndex positions; positions no
 *   transfer claims hold an unrelated event (so indexes need not start at 0). Unknown id: `{}`. With
 *   `visible: true` log addresses are base58, as java-tron rewrites them.
 * - `POST /wallet/getnowblock` -> the head block; `POST /wallet/getblockbynum` `{ num }` -> that
 *   block, `{}` above the head or for a block removed with setBlockHash(n, null). Blocks are
 *   `{ blockID, block_header: { raw_data: { number, txTrieRoot, witness_address, parentHash, version,
 *   timestamp }, witness_signature } }` (no transactions). blockID = 8-byte big-endian number + 24
 *   bytes of sha256 — deterministic per number, as blockHashOf() computes, unless setBlockHash()
 *   replaced it. Number 0 is left out of raw_data, a protobuf default. The head is the highest of
 *   setHead() and every added transfer's block.
 * - java-tron answers a malformed wallet request with HTTP 200 `{ Error: "<class> : <message>" }`.
 *
 * Failure injection (failNext, delayNext, tamperNext) applies to every route.
 */
export interface TronGridFake {
  /** http://127.0.0.1:PORT, the base URL a TronGrid client is configured with. */
  url: string;
  /** Every request received, in order, including those answered by failNext()/unknown paths. */
  requests: RecordedRequest[];
  /** Sets a TRC20 balance; both addresses base58 `T…`. Creates the contract if it is new. */
  setBalance(contractBase58: string, ownerBase58: string, amount: bigint): void;
  /**
   * The next `n` requests get HTTP `status` (default 500) instead of an answer; `retryAfter` is sent
   * as the Retry-After header (seconds, or any string such as an HTTP-date).
   */
  failNext(n: number, status?: number, opts?: { retryAfter?: number | string }): void;
  /** The next `n` requests are answered only after `ms` milliseconds. */
  delayNext(n: number, ms: number): void;
  /**
   * The next `n` successful (HTTP 200) answers pass through `tamper` before they are sent: a test
   * breaks one field of a real answer. What it returns is sent as JSON.
   */
  tamperNext(n: number, tamper: (body: Json, path: string) => unknown): void;
  /** Records a TRC20 transfer (a Transfer event of `contract`) for the deposit-detection routes. */
  addTransfer(transfer: FakeTransfer): AddedTransfer;
  /** Moves the head to `n` (it never drops below the highest block holding a transfer). */
  setHead(n: number): void;
  /** The current head block number. */
  head(): number;
  /** Replaces block `n`'s hash (a reorg), or removes the block (`null`: getblockbynum answers `{}`). */
  setBlockHash(n: number, hash: string | null): void;
  /** The blockID the fake shows for block `n` (lower-case hex), or null when it has no such block. */
  blockHash(n: number): string | null;
  stop(): Promise<void>;
}

export interface FakeTransfer {
  /** TRC20 contract, base58. */
  contract: string;
  /** base58 */
  from: string;
  /** base58 */
  to: string;
  value: bigint;
  /** 64 hex; default: a fresh deterministic id. Reuse one to put several transfers in a transaction. */
  txId?: string;
  blockNumber: number;
  /** ms; default: blockTimestampOf(blockNumber), or that of another transfer already in the block. */
  blockTimestamp?: number;
  /** Whether TronGrid lists it with only_confirmed (true) or only_unconfirmed (false). */
  confirmed: boolean;
  /** Position in the transaction's `log`; default: the next free position. */
  logIndex?: number;
  /** receipt.result; default SUCCESS. Anything else makes the transaction FAILED, without logs. */
  receiptResult?: string;
  /** v1 record type; default "Transfer" (TronGrid lists "Approval" records in the same list). */
  type?: string;
}

/** What addTransfer() stored, defaults filled in. */
export interface AddedTransfer {
  txId: string;
  logIndex: number;
  blockNumber: number;
  blockTimestamp: number;
  blockHash: string;
}

export interface RecordedRequest {
  method: string;
  path: string;
  /** The query string's parameters (last value wins). */
  query: Record<string, string>;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
  /** Node lower-cases header names: the API key is `headers['tron-pro-api-key']`. */
  headers: IncomingHttpHeaders;
}

/** keccak256("balanceOf(address)")[0..4] */
export const BALANCE_OF_SELECTOR = '70a08231';
/** What java-tron's Wallet.triggerConstantContract says for an address without a contract. */
export const NO_CONTRACT_MESSAGE = 'Smart contract is not exist.';
/** energy_used reported for a balanceOf read (the order of magnitude of USDT's). */
export const BALANCE_OF_ENERGY = 935;

const TRIGGER_PATHS = new Set(['/wallet/triggerconstantcontract', '/walletsolidity/triggerconstantcontract']);

export type Json = Record<string, unknown>;

/** keccak256("Transfer(address,address,uint256)") */
export const TRANSFER_TOPIC = 'ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef';
/** Block timestamps by default: one block every 3 s from this instant (in the past, so max_timestamp=now keeps them). */
export const GENESIS_TIMESTAMP_MS = 1_700_000_000_000;
export const blockTimestampOf = (n: number): number => GENESIS_TIMESTAMP_MS + n * 3000;

/** The deterministic blockID of block `n`: its number as 8 big-endian bytes, then 24 bytes of a hash. */
export function blockHashOf(n: number): string {
  return n.toString(16).padStart(16, '0') + createHash('sha256').update(`trongrid-fake block ${n}`).digest('hex').slice(16);
}

/** token_info the v1 list shows for every contract (the fake does not model token metadata). */
const TOKEN_INFO = { symbol: 'USDT', decimals: 6, name: 'Tether USD' };
const V1_TRC20_PATH = /^\/v1\/accounts\/([^/]+)\/transactions\/trc20\/?$/;
const MAX_V1_LIMIT = 200;

/** A request java-tron would refuse (or the fake does not model): answered with code OTHER_ERROR. */
class BadRequest extends Error {}

/** java-tron's wording for a missing required field (InvalidParameterException, caught by the servlet). */
const notSet = (field: string): BadRequest => new BadRequest(`class java.security.InvalidParameterException : ${field} isn't set.`);

export async function startTronGridFake(): Promise<TronGridFake> {
  /** contract hex (41…, lower case) → holder hex → balance */
  const balances = new Map<string, Map<string, bigint>>();
  const requests: RecordedRequest[] = [];
  const timers = new Set<NodeJS.Timeout>();
  let fail: { remaining: number; status: number; retryAfter?: string } = { remaining: 0, status: 500 };
  let delay = { remaining: 0, ms: 0 };
  let tamper: { remaining: number; fn?: (body: Json, path: string) => unknown } = { remaining: 0 };
  let baseUrl = '';

  /** Deposit-detection state: transfers in insertion order, grouped by transaction, block facts. */
  const transfers: StoredTransfer[] = [];
  const txs = new Map<string, StoredTx>();
  const blockTimes = new Map<number, number>();
  const hashOverrides = new Map<number, string | null>();
  let headSet = 0;
  let highestTransferBlock = 0;
  let txCounter = 0;
  const head = (): number => Math.max(headSet, highestTransferBlock);
  const hashOf = (n: number): string | null => {
    if (n > head()) return null;
    const override = hashOverrides.get(n);
    return override !== undefined ? override : blockHashOf(n);
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://fake');
      const path = url.pathname;
      const method = req.method ?? '';
      requests.push({ method, path, query: Object.fromEntries(url.searchParams), body: parseJson(text) ?? text, headers: req.headers });

      const failure = fail.remaining > 0 ? (fail.remaining--, { status: fail.status, retryAfter: fail.retryAfter }) : undefined;
      const delayMs = delay.remaining > 0 ? (delay.remaining--, delay.ms) : 0;
      const answer = (): void => {
        if (res.destroyed) return; // the client gave up (e.g. its timeout fired)
        if (failure) {
          const headers: Record<string, string> = failure.retryAfter !== undefined ? { 'retry-after': failure.retryAfter } : {};
          return send(res, failure.status, { Error: `trongrid-fake: injected HTTP ${failure.status}` }, headers);
        }
        let reply: Reply;
        try {
          reply = route(method, path, url, text);
        } catch (e) {
          reply = { status: 500, body: { Error: `trongrid-fake: ${String(e)}` } };
        }
        if (reply.status === 200 && tamper.remaining > 0 && tamper.fn) {
          tamper.remaining--;
          return send(res, 200, tamper.fn(reply.body, path));
        }
        send(res, reply.status, reply.body);
      };
      if (delayMs <= 0) return answer();
      const timer = setTimeout(() => {
        timers.delete(timer);
        answer();
      }, delayMs);
      timers.add(timer);
    });
  });

  function route(method: string, path: string, url: URL, text: string): Reply {
    const v1 = V1_TRC20_PATH.exec(path);
    if (v1) {
      if (method !== 'GET') return { status: 405, body: { success: false, error: `trongrid-fake: ${path} takes GET`, statusCode: 405 } };
      return listTrc20(decodeURIComponent(v1[1]!), url);
    }
    const wallet = WALLET_ROUTES[path];
    if (!wallet && !TRIGGER_PATHS.has(path)) return { status: 404, body: { Error: `trongrid-fake: no route for ${path}` } };
    if (method !== 'POST') return { status: 405, body: { Error: `trongrid-fake: ${path} takes POST` } };
    if (!wallet) return { status: 200, body: trigger(text) };
    const body = text.trim() === '' ? {} : parseJson(text);
    if (!body) return { status: 200, body: { Error: 'class org.tron.json.JSONException : trongrid-fake: the request body is not a JSON object' } };
    switch (wallet) {
      case 'getnowblock':
        return { status: 200, body: blockJson(head()) };
      case 'getblockbynum':
        return { status: 200, body: getBlockByNum(body) };
      case 'gettransactioninfobyid':
        return { status: 200, body: transactionInfo(body) };
    }
  }

  function blockJson(n: number): Json {
    const hash = hashOf(n);
    if (hash === null) return {};
    const rawData: Json = {
      // number 0 is a protobuf default: java-tron's JSON leaves it out.
      ...(n !== 0 ? { number: n } : {}),
      txTrieRoot: sha256Hex(`trongrid-fake txTrieRoot ${n}`),
      witness_address: `41${sha256Hex(`trongrid-fake witness ${n % 27}`).slice(0, 40)}`,
      parentHash: n > 0 ? (hashOf(n - 1) ?? blockHashOf(n - 1)) : '0'.repeat(64),
      version: 31,
      timestamp: blockTimes.get(n) ?? blockTimestampOf(n),
    };
    return { blockID: hash, block_header: { raw_data: rawData, witness_signature: sha256Hex(`trongrid-fake signature ${hash}`).repeat(2) + '00' } };
  }

  function getBlockByNum(body: Json): Json {
    const num = body.num ?? 0; // "omitted defaults to 0"
    const n = typeof num === 'number' ? num : typeof num === 'string' && /^\d+$/.test(num) ? Number(num) : NaN;
    if (!Number.isSafeInteger(n) || n < 0) return { Error: `class org.tron.json.JSONException : trongrid-fake: num is not a block number: ${JSON.stringify(num)}` };
    return blockJson(n);
  }

  function transactionInfo(body: Json): Json {
    const value = body.value;
    if (typeof value !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(value)) {
      return { Error: `class org.tron.core.services.http.JsonFormat$ParseException : trongrid-fake: value is not a hex transaction id: ${JSON.stringify(value)}` };
    }
    const tx = txs.get(value.toLowerCase());
    if (!tx) return {};
    const visible = body.visible === true || body.visible === 'true';
    const called = tx.logs.values().next().value?.contractHex ?? '';
    const info: Json = {
      id: tx.id,
      fee: 345_000,
      blockNumber: tx.blockNumber,
      blockTimeStamp: blockTimes.get(tx.blockNumber) ?? blockTimestampOf(tx.blockNumber),
      contractResult: [''],
      contract_address: visible ? TronWeb.address.fromHex(called) : called,
      receipt: { energy_usage_total: 29_631, net_usage: 345, result: tx.receiptResult },
    };
    if (tx.receiptResult !== 'SUCCESS') {
      // A failed call leaves no events; `result` (default SUCESS, left out on success) says FAILED.
      return { ...info, result: 'FAILED', resMessage: Buffer.from('REVERT opcode executed', 'utf8').toString('hex') };
    }
    const last = Math.max(...tx.logs.keys());
    const logs: Json[] = [];
    for (let i = 0; i <= last; i++) {
      const t = tx.logs.get(i);
      const address = t ? t.contractHex : FILLER_CONTRACT_HEX;
      logs.push({
        address: visible ? TronWeb.address.fromHex(address) : address.slice(2),
        topics: t ? [t.type === 'Approval' ? APPROVAL_TOPIC : TRANSFER_TOPIC, wordOf(t.fromHex), wordOf(t.toHex)] : [FILLER_TOPIC],
        data: t ? t.value.toString(16).padStart(64, '0') : '0'.repeat(128),
      });
    }
    return { ...info, log: logs };
  }

  function listTrc20(accountParam: string, url: URL): Reply {
    const bad = (error: string): Reply => ({ status: 400, body: { success: false, error: `trongrid-fake: ${error}`, statusCode: 400 } });
    // TronGrid takes camelCase or snake_case parameter names.
    const q = new Map([...url.searchParams].map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]));
    const flag = (name: string): boolean => q.get(name) === 'true';
    const account = anyAddressToBase58(accountParam);
    if (!account) return bad(`${accountParam} is not a base58 or 41… hex address`);
    const onlyConfirmed = flag('only_confirmed');
    const onlyUnconfirmed = flag('only_unconfirmed');
    if (onlyConfirmed && onlyUnconfirmed) return bad('only_confirmed and only_unconfirmed cannot be used together');
    const contractParam = q.get('contract_address');
    const contract = contractParam === undefined ? undefined : anyAddressToBase58(contractParam);
    if (contract === null) return bad(`contract_address ${contractParam} is not a base58 or 41… hex address`);
    const time = (a: string, b: string, fallback: number): number | undefined => {
      const v = q.get(a) ?? q.get(b);
      if (v === undefined) return fallback;
      return /^\d+$/.test(v) ? Number(v) : undefined;
    };
    const min = time('min_timestamp', 'min_block_timestamp', 0);
    const max = time('max_timestamp', 'max_block_timestamp', Date.now());
    if (min === undefined || max === undefined) return bad('min_timestamp / max_timestamp must be integers (ms)');
    const orderBy = q.get('order_by') ?? 'block_timestamp,desc';
    const order = /^(block_)?timestamp,(asc|desc)$/.exec(orderBy)?.[2];
    if (!order) return bad(`order_by ${orderBy} is not block_timestamp,asc or block_timestamp,desc`);
    const limitParam = q.get('limit') ?? '20';
    const limit = /^\d+$/.test(limitParam) ? Number(limitParam) : NaN;
    if (!(limit >= 1 && limit <= MAX_V1_LIMIT)) return bad(`limit must be 1..${MAX_V1_LIMIT}, got ${limitParam}`);
    const onlyTo = flag('only_to');
    const onlyFrom = flag('only_from');

    const cmp = (a: StoredTransfer, b: StoredTransfer): number => a.blockTimestamp - b.blockTimestamp || a.seq - b.seq;
    let matches = transfers
      .filter((t) => (onlyTo === onlyFrom ? t.to === account || t.from === account : onlyTo ? t.to === account : t.from === account))
      .filter((t) => contract === undefined || t.contract === contract)
      .filter((t) => (onlyConfirmed ? t.confirmed : onlyUnconfirmed ? !t.confirmed : true))
      .filter((t) => t.blockTimestamp >= min && t.blockTimestamp <= max)
      .sort((a, b) => (order === 'asc' ? cmp(a, b) : cmp(b, a)));
    const fingerprint = q.get('fingerprint');
    if (fingerprint !== undefined) {
      const after = decodeFingerprint(fingerprint);
      if (!after) return bad(`fingerprint ${fingerprint} is not one this server gave`);
      const key = { blockTimestamp: after.t, seq: after.s } as StoredTransfer;
      matches = matches.filter((t) => (order === 'asc' ? cmp(t, key) > 0 : cmp(t, key) < 0));
    }
    const page = matches.slice(0, limit);
    const meta: Json = { at: Date.now(), page_size: page.length };
    const last = page.at(-1);
    if (matches.length > limit && last) {
      const next = encodeFingerprint(last);
      const params = new URLSearchParams(url.searchParams);
      params.set('fingerprint', next);
      meta.fingerprint = next;
      meta.links = { next: `${baseUrl}${url.pathname}?${params.toString()}` };
    }
    return {
      status: 200,
      body: {
        data: page.map((t) => ({
          transaction_id: t.txId,
          token_info: { symbol: TOKEN_INFO.symbol, address: t.contract, decimals: TOKEN_INFO.decimals, name: TOKEN_INFO.name },
          block_timestamp: t.blockTimestamp,
          from: t.from,
          to: t.to,
          type: t.type,
          value: t.value.toString(),
        })),
        success: true,
        meta,
      },
    };
  }

  function addTransfer(input: FakeTransfer): AddedTransfer {
    const contractHex = base58ToHex(input.contract, 'contract');
    const fromHex = base58ToHex(input.from, 'from');
    const toHex = base58ToHex(input.to, 'to');
    if (input.value < 0n || input.value >= 1n << 256n) throw new RangeError(`addTransfer(): value ${input.value} is not a uint256`);
    if (!Number.isSafeInteger(input.blockNumber) || input.blockNumber < 1) throw new RangeError(`addTransfer(): blockNumber must be a positive integer, got ${input.blockNumber}`);
    if (input.txId !== undefined && !/^[0-9a-fA-F]{64}$/.test(input.txId)) throw new TypeError(`addTransfer(): txId must be 64 hex characters, got ${input.txId}`);
    const txId = input.txId?.toLowerCase() ?? sha256Hex(`trongrid-fake tx ${++txCounter}`);
    const receiptResult = input.receiptResult ?? 'SUCCESS';

    const knownTime = blockTimes.get(input.blockNumber);
    const blockTimestamp = input.blockTimestamp ?? knownTime ?? blockTimestampOf(input.blockNumber);
    if (!Number.isSafeInteger(blockTimestamp) || blockTimestamp < 0) throw new RangeError(`addTransfer(): bad blockTimestamp ${blockTimestamp}`);
    if (knownTime !== undefined && knownTime !== blockTimestamp) {
      throw new RangeError(`addTransfer(): block ${input.blockNumber} already has timestamp ${knownTime}, not ${blockTimestamp}`);
    }

    let tx = txs.get(txId);
    if (tx && (tx.blockNumber !== input.blockNumber || tx.receiptResult !== receiptResult || tx.confirmed !== input.confirmed)) {
      throw new RangeError(`addTransfer(): transaction ${txId} is already in block ${tx.blockNumber} (${tx.receiptResult}, confirmed ${tx.confirmed})`);
    }
    const logIndex = input.logIndex ?? (tx && tx.logs.size > 0 ? Math.max(...tx.logs.keys()) + 1 : 0);
    if (!Number.isSafeInteger(logIndex) || logIndex < 0) throw new RangeError(`addTransfer(): bad logIndex ${logIndex}`);
    if (tx?.logs.has(logIndex)) throw new RangeError(`addTransfer(): transaction ${txId} already has a log at ${logIndex}`);

    if (!tx) txs.set(txId, (tx = { id: txId, blockNumber: input.blockNumber, receiptResult, confirmed: input.confirmed, logs: new Map() }));
    const stored: StoredTransfer = {
      seq: transfers.length,
      contract: TronWeb.address.fromHex(contractHex),
      contractHex,
      from: TronWeb.address.fromHex(fromHex),
      fromHex,
      to: TronWeb.address.fromHex(toHex),
      toHex,
      value: input.value,
      txId,
      blockNumber: input.blockNumber,
      blockTimestamp,
      confirmed: input.confirmed,
      type: input.type ?? 'Transfer',
    };
    tx.logs.set(logIndex, stored);
    transfers.push(stored);
    blockTimes.set(input.blockNumber, blockTimestamp);
    highestTransferBlock = Math.max(highestTransferBlock, input.blockNumber);
    return { txId, logIndex, blockNumber: input.blockNumber, blockTimestamp, blockHash: hashOf(input.blockNumber) ?? blockHashOf(input.blockNumber) };
  }

  function trigger(text: string): Json {
    const body = parseJson(text);
    const visible = body?.visible === true || body?.visible === 'true';
    try {
      if (!body) throw new BadRequest('trongrid-fake: the request body is not a JSON object');
      const owner = readAddress(body, 'owner_address', visible);
      const contract = readAddress(body, 'contract_address', visible);
      const data = callData(body);
      const holders = balances.get(contract);
      if (!holders) return errorResult('CONTRACT_VALIDATE_ERROR', NO_CONTRACT_MESSAGE, visible);
      if (data.slice(0, 8) !== BALANCE_OF_SELECTOR) {
        throw new BadRequest(`trongrid-fake: only balanceOf(address) (${BALANCE_OF_SELECTOR}) is modelled, got ${data.slice(0, 8)}`);
      }
      const holder = holderFromParameter(data.slice(8));
      const balance = holders.get(holder) ?? 0n;
      return {
        result: { result: true },
        energy_used: BALANCE_OF_ENERGY,
        constant_result: [balance.toString(16).padStart(64, '0')],
        transaction: transactionFor(owner, contract, data, visible),
      };
    } catch (e) {
      if (!(e instanceof BadRequest)) throw e;
      return errorResult('OTHER_ERROR', e.message, visible);
    }
  }

  await new Promise<void>((ok, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}`;

  let stopped: Promise<void> | undefined;
  return {
    url: baseUrl,
    requests,
    setBalance(contractBase58, ownerBase58, amount) {
      if (amount < 0n || amount >= 1n << 256n) throw new RangeError(`setBalance(): ${amount} is not a uint256`);
      const contract = base58ToHex(contractBase58, 'contractBase58');
      const holder = base58ToHex(ownerBase58, 'ownerBase58');
      let holders = balances.get(contract);
      if (!holders) balances.set(contract, (holders = new Map()));
      holders.set(holder, amount);
    },
    failNext(n, status = 500, opts = {}) {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`failNext(): n must be a non-negative integer, got ${n}`);
      if (!Number.isInteger(status) || status < 100 || status > 599) throw new RangeError(`failNext(): bad HTTP status ${status}`);
      fail = { remaining: n, status, ...(opts.retryAfter !== undefined ? { retryAfter: String(opts.retryAfter) } : {}) };
    },
    delayNext(n, ms) {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`delayNext(): n must be a non-negative integer, got ${n}`);
      if (!(ms >= 0)) throw new RangeError(`delayNext(): ms must be >= 0, got ${ms}`);
      delay = { remaining: n, ms };
    },
    tamperNext(n, fn) {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`tamperNext(): n must be a non-negative integer, got ${n}`);
      tamper = { remaining: n, fn };
    },
    addTransfer,
    setHead(n) {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`setHead(): n must be a non-negative integer, got ${n}`);
      headSet = n;
    },
    head,
    setBlockHash(n, hash) {
      if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`setBlockHash(): n must be a non-negative integer, got ${n}`);
      if (hash !== null && !/^[0-9a-f]{64}$/.test(hash)) throw new TypeError(`setBlockHash(): hash must be 64 lower-case hex characters, got ${hash}`);
      hashOverrides.set(n, hash);
    },
    blockHash: hashOf,
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

interface Reply {
  status: number;
  body: Json;
}

interface StoredTransfer {
  /** Insertion order: the tie-breaker after block_timestamp, and half of a fingerprint. */
  seq: number;
  contract: string;
  /** 41… lower case */
  contractHex: string;
  from: string;
  fromHex: string;
  to: string;
  toHex: string;
  value: bigint;
  txId: string;
  blockNumber: number;
  blockTimestamp: number;
  confirmed: boolean;
  type: string;
}

interface StoredTx {
  id: string;
  blockNumber: number;
  receiptResult: string;
  confirmed: boolean;
  /** logIndex → transfer */
  logs: Map<number, StoredTransfer>;
}

const WALLET_ROUTES: Record<string, 'getnowblock' | 'getblockbynum' | 'gettransactioninfobyid' | undefined> = {
  '/wallet/getnowblock': 'getnowblock',
  '/wallet/getblockbynum': 'getblockbynum',
  '/wallet/gettransactioninfobyid': 'gettransactioninfobyid',
};

/** keccak256("Approval(address,address,uint256)") */
const APPROVAL_TOPIC = '8c5be1e5ebec7d5bd14f71427d1e84f3dd0314c0f7b2291e5b200ac8c7c3b925';
/** An unrelated event (a swap pair's Sync) from an unrelated contract, filling unclaimed log positions. */
const FILLER_TOPIC = id('Sync(uint112,uint112)').slice(2);
const FILLER_CONTRACT_HEX = `41${'5a'.repeat(20)}`;

const sha256Hex = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A 41… address as an indexed event argument: the 20 bytes left-padded to 32. */
const wordOf = (hex41: string): string => hex41.slice(2).padStart(64, '0');

/** base58 T… or hex 41… (either case) → base58, or null. */
function anyAddressToBase58(value: string): string | null {
  if (HEX_ADDRESS.test(value)) return TronWeb.address.fromHex(value.toLowerCase());
  try {
    return TronWeb.address.fromHex(base58ToHex(value, 'address'));
  } catch {
    return null;
  }
}

function encodeFingerprint(t: StoredTransfer): string {
  return Buffer.from(JSON.stringify({ t: t.blockTimestamp, s: t.seq }), 'utf8').toString('base64url');
}

function decodeFingerprint(fingerprint: string): { t: number; s: number } | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(fingerprint, 'base64url').toString('utf8'));
    if (value === null || typeof value !== 'object') return undefined;
    const { t, s } = value as Record<string, unknown>;
    return typeof t === 'number' && typeof s === 'number' ? { t, s } : undefined;
  } catch {
    return undefined;
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...headers, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function parseJson(text: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** `{ result: { code, message } }`, message encoded as java-tron prints `Return.message`. */
function errorResult(code: string, message: string, visible: boolean): Json {
  return { result: { code, message: visible ? message : Buffer.from(message, 'utf8').toString('hex') } };
}

const HEX_ADDRESS = /^41[0-9a-fA-F]{40}$/;

function base58ToHex(address: string, field: string): string {
  if (!/^T[1-9A-HJ-NP-Za-km-z]{33}$/.test(address) || !TronWeb.isAddress(address)) {
    throw new TypeError(`${field} is not a base58check TRON address: ${address}`);
  }
  return TronWeb.address.toHex(address).toLowerCase();
}

/** A request address as hex 41… (lower case); base58 with visible=true, hex otherwise, as java-tron. */
function readAddress(body: Json, field: string, visible: boolean): string {
  const value = body[field];
  if (typeof value !== 'string' || value === '') throw notSet(field);
  if (visible) {
    try {
      return base58ToHex(value, field);
    } catch {
      throw new BadRequest(`trongrid-fake: ${field} is not a base58 address (visible is true): ${value}`);
    }
  }
  if (!HEX_ADDRESS.test(value)) throw new BadRequest(`trongrid-fake: ${field} is not a 41… hex address (visible is false): ${value}`);
  return value.toLowerCase();
}

/** selector (8 hex) + ABI-encoded arguments, from function_selector + parameter, or data. */
function callData(body: Json): string {
  const selector = body.function_selector;
  if (typeof selector === 'string' && selector !== '') {
    const parameter = body.parameter ?? '';
    if (typeof parameter !== 'string' || !/^([0-9a-fA-F]{2})*$/.test(parameter)) {
      throw new BadRequest('trongrid-fake: parameter is not a hex string');
    }
    return `${id(selector.replace(/\s+/g, '')).slice(2, 10)}${parameter}`.toLowerCase();
  }
  if (typeof body.data === 'string' && /^[0-9a-fA-F]{8}([0-9a-fA-F]{2})*$/.test(body.data)) return body.data.toLowerCase();
  throw notSet('function_selector');
}

/**
 * The holder from a balanceOf parameter: one 32-byte word, the 20-byte account left-padded with
 * zeros (no 0x41 prefix). Anything else is rejected loudly instead of being masked as an old TRC20
 * contract might, so a client's encoding bug shows up in tests.
 */
function holderFromParameter(parameter: string): string {
  if (!/^0{24}[0-9a-f]{40}$/.test(parameter)) {
    throw new BadRequest(`trongrid-fake: balanceOf parameter must be one word: 24 zero hex digits + the 20-byte address, got "${parameter}"`);
  }
  return `41${parameter.slice(24)}`;
}

/** A minimal TriggerSmartContract transaction, shaped like java-tron's (not signable, no raw_data_hex). */
function transactionFor(ownerHex: string, contractHex: string, data: string, visible: boolean): Json {
  const show = (hex: string): string => (visible ? TronWeb.address.fromHex(hex) : hex);
  const now = Date.now();
  const rawData = {
    contract: [
      {
        parameter: {
          value: { data, owner_address: show(ownerHex), contract_address: show(contractHex) },
          type_url: 'type.googleapis.com/protocol.TriggerSmartContract',
        },
        type: 'TriggerSmartContract',
      },
    ],
    ref_block_bytes: '0000',
    ref_block_hash: '0000000000000000',
    expiration: now + 60_000,
    timestamp: now,
  };
  return {
    ret: [{}],
    visible,
    txID: createHash('sha256').update(JSON.stringify(rawData)).digest('hex'),
    raw_data: rawData,
  };
}
