import { FetchRequest, JsonRpcProvider, WebSocketProvider, getAddress, id, toQuantity, zeroPadValue, type JsonRpcApiProvider } from 'ethers';
import { WebSocket } from 'ws';
import { mapWithConcurrency, raceAbort } from './retry.js';
import type { ObservedTransfer } from './transfer-source.js';

/** Topic 0 of an ERC20 `Transfer(address indexed from, address indexed to, uint256 value)` log. */
export const TRANSFER_TOPIC: string = id('Transfer(address,address,uint256)');

/**
 * Nodes and hosted endpoints cap an eth_getLogs request (body size, topic alternatives); one
 * filter of 500 padded addresses is about 35 KB of JSON.
 */
export const ADDRESS_CHUNK = 500;

/** Blocks fetched at once by blockHashes(): batchMaxCount is 1, so each one is its own request. */
const BLOCK_CONCURRENCY = 4;

export interface EvmTransferSource {
  /** eth_blockNumber */
  head(signal: AbortSignal): Promise<number>;
  /**
   * ERC20 Transfer logs of `token` whose `to` is one of `toAddresses`, in blocks [fromBlock, toBlock]
   * inclusive, sorted by (blockNumber, logIndex); logs with `removed: true` are dropped. Throws on
   * any malformed log rather than returning part of an answer.
   */
  transfersTo(
    token: string,
    toAddresses: readonly string[],
    fromBlock: number,
    toBlock: number,
    signal: AbortSignal,
  ): Promise<ObservedTransfer[]>;
  /** Canonical block hash for each block number, null when the node does not have that block. */
  blockHashes(blockNumbers: readonly number[], signal: AbortSignal): Promise<Map<number, string | null>>;
  /**
   * ws:// and wss:// only (null otherwise): calls `onHead` with the number of every new head, and
   * returns the unsubscribe function. A head is a hint to read, not a sequence: after a reorg a
   * number can come again. Nothing comes once the socket is gone (ethers does not reconnect).
   */
  onNewHead(onHead: (blockNumber: number) => void): (() => void) | null;
  /** Calls `onGone` once when the source can no longer be used (its WebSocket closed, or destroy()). */
  onGone(onGone: (reason: Error) => void): void;
  destroy(): void;
}

export interface EvmTransferSourceOptions {
  /** Per-request timeout of the HTTP transport, and of the websocket handshake. */
  timeoutMs: number;
  /** Watched addresses per eth_getLogs call (default ADDRESS_CHUNK). */
  addressChunk?: number;
}

export function evmTransferSource(rpcUrl: string, opts: EvmTransferSourceOptions): EvmTransferSource {
  const url = parseRpcUrl(rpcUrl);
  if (!Number.isSafeInteger(opts.timeoutMs) || opts.timeoutMs <= 0) throw new RangeError(`timeoutMs must be a positive integer, got ${opts.timeoutMs}`);
  const addressChunk = opts.addressChunk ?? ADDRESS_CHUNK;
  if (!Number.isSafeInteger(addressChunk) || addressChunk < 1) throw new RangeError(`addressChunk must be a positive integer, got ${addressChunk}`);
  // RPC URLs usually carry an API key in the path or query: error messages name the host only.
  const where = url.host;

  // Once the source can no longer answer (destroyed, or its websocket is gone) calls in flight fail
  // at once instead of waiting for their signal: ethers never settles a websocket request whose
  // answer had not arrived when the socket closed. A set rather than a race against one shared
  // promise, which would keep a reaction per call for the life of the source.
  let gone: Error | undefined;
  const inFlight = new Set<(e: Error) => void>();
  const goneListeners: ((e: Error) => void)[] = [];
  const die = (e: Error): void => {
    if (gone) return;
    gone = e;
    for (const fail of inFlight) fail(e);
    inFlight.clear();
    for (const listener of goneListeners.splice(0)) listener(e);
  };

  const websocket = url.protocol === 'ws:' || url.protocol === 'wss:';
  let provider: JsonRpcApiProvider;
  if (websocket) {
    // Our own socket rather than ethers' (which it would build from the URL): ethers attaches no
    // 'error' listener, so a refused connection or a close() while connecting would be an uncaught
    // exception, and ethers never notices a closed socket (it has no reconnect).
    const socket = new WebSocket(rpcUrl, { handshakeTimeout: opts.timeoutMs });
    socket.on('error', (e) => die(new Error(`websocket to ${where} failed: ${e.message}`, { cause: e })));
    socket.on('close', (code) => die(new Error(`websocket to ${where} closed (code ${code})`)));
    provider = new HeadsWebSocketProvider(socket, undefined, { staticNetwork: true, batchMaxCount: 1 });
  } else {
    const request = new FetchRequest(rpcUrl);
    request.timeout = opts.timeoutMs;
    // The chain never changes under a running process: detect it once, not before every call.
    provider = new JsonRpcProvider(request, undefined, { staticNetwork: true, batchMaxCount: 1 });
  }

  const rpc = async (method: string, params: unknown[]): Promise<unknown> => {
    try {
      return (await provider.send(method, params)) as unknown;
    } catch (e) {
      throw new Error(`${method} on ${where} failed: ${describeRpcError(e)}`, { cause: e });
    }
  };

  /** Runs `work` unless it is too late, and settles no later than the signal or the source's end. */
  const guarded = <T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> => {
    if (gone) return Promise.reject(gone);
    // Already too late: raceAbort rejects at once, and no request is sent.
    if (signal.aborted) return raceAbort(new Promise<T>(() => undefined), signal);
    const call = new Promise<T>((ok, fail) => {
      inFlight.add(fail);
      work()
        .then(ok, fail)
        .finally(() => inFlight.delete(fail));
    });
    return raceAbort(call, signal);
  };

  /** Between requests of one call: stop sending once nobody will read the answer. */
  const stillWanted = (signal: AbortSignal): void => {
    if (gone) throw gone;
    if (signal.aborted) throw new Error('timed out');
  };

  return {
    head: (signal) =>
      guarded(signal, async () => {
        const result = await rpc('eth_blockNumber', []);
        try {
          return quantity(result, 'the block number');
        } catch (e) {
          throw new Error(`eth_blockNumber answered garbage: ${(e as Error).message}`, { cause: e });
        }
      }),

    // async: a bad argument is a rejection like any other failure, never a synchronous throw.
    async transfersTo(token, toAddresses, fromBlock, toBlock, signal) {
      const contract = address(token, 'token');
      checkBlock(fromBlock, 'fromBlock');
      checkBlock(toBlock, 'toBlock');
      if (fromBlock > toBlock) throw new RangeError(`fromBlock ${fromBlock} is after toBlock ${toBlock}`);
      const topics = [...new Set(toAddresses.map((a, i) => addressTopic(address(a, `toAddresses[${i}]`))))];
      if (topics.length === 0) return [];

      return guarded(signal, async () => {
        const found: ObservedTransfer[] = [];
        // One chunk at a time: the chunks split a single scan, and a provider's rate limit is
        // better spent on the next scan than on parallel halves of this one. Chunks are read at
        // different moments, so a reorg in between can mix branches; blockHash tells them apart.
        for (let start = 0; start < topics.length; start += addressChunk) {
          stillWanted(signal);
          const chunk = topics.slice(start, start + addressChunk);
          const result = await rpc('eth_getLogs', [
            {
              address: contract.toLowerCase(),
              fromBlock: toQuantity(fromBlock),
              toBlock: toQuantity(toBlock),
              topics: [TRANSFER_TOPIC, null, chunk],
            },
          ]);
          found.push(...parseLogs(result, { contract, to: new Set(chunk), fromBlock, toBlock }));
        }
        return found.sort((a, b) => a.blockNumber - b.blockNumber || a.logIndex - b.logIndex);
      });
    },

    async blockHashes(blockNumbers, signal) {
      blockNumbers.forEach((n, i) => checkBlock(n, `blockNumbers[${i}]`));
      const numbers = [...new Set(blockNumbers)];
      return guarded(signal, async () => {
        const hashes = await mapWithConcurrency(numbers, BLOCK_CONCURRENCY, async (n) => {
          stillWanted(signal);
          return blockHash(await rpc('eth_getBlockByNumber', [toQuantity(n), false]), n);
        });
        return new Map(numbers.map((n, i) => [n, hashes[i] ?? null]));
      });
    },

    onNewHead(onHead) {
      if (!websocket || gone) return null;
      let active = true;
      // ethers emits 'block' with the newHeads number already parsed (parseInt of the hex), and
      // swallows whatever a listener throws.
      const listener = (blockNumber: unknown): void => {
        if (active && typeof blockNumber === 'number' && Number.isSafeInteger(blockNumber) && blockNumber >= 0) onHead(blockNumber);
      };
      // on() and off() are async: off() must not overtake the on() it undoes.
      const subscribed = provider.on('block', listener).catch(() => undefined);
      return () => {
        if (!active) return;
        active = false;
        void subscribed.then(() => provider.off('block', listener)).catch(() => undefined);
      };
    },

    onGone(listener) {
      if (gone) listener(gone);
      else goneListeners.push(listener);
    },

    destroy() {
      die(new Error(`transfer source for ${where} was destroyed`));
      // A WebSocketProvider closes its socket here; its returned promise carries nothing to wait for.
      void Promise.resolve(provider.destroy()).catch(() => undefined);
    },
  };
}

/**
 * ethers' socket subscribers send eth_subscribe / eth_unsubscribe and chain `.then()` on the result
 * without ever handling a failure, so a subscription refused by the node, or cancelled by a
 * destroy() that lands while it is queued or in flight, becomes an unhandled rejection (which ends
 * a Node process). Those two requests come only from ethers' subscribers: a failed one just never
 * settles, and the heads it would have brought never come.
 */
class HeadsWebSocketProvider extends WebSocketProvider {
  override send(method: string, params: unknown[] | Record<string, unknown>): Promise<unknown> {
    const sent = super.send(method, params) as Promise<unknown>;
    if (method !== 'eth_subscribe' && method !== 'eth_unsubscribe') return sent;
    return new Promise((ok) => void sent.then(ok, () => undefined));
  }
}

function parseRpcUrl(rpcUrl: string): URL {
  let url: URL;
  try {
    url = new URL(rpcUrl);
  } catch {
    throw new TypeError('rpcUrl is not a URL');
  }
  if (!['http:', 'https:', 'ws:', 'wss:'].includes(url.protocol)) throw new TypeError(`rpcUrl must be http(s) or ws(s), not ${url.protocol}`);
  return url;
}

function checkBlock(n: number, field: string): void {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${field} must be a non-negative integer, got ${n}`);
}

function address(value: string, field: string): string {
  if (typeof value !== 'string' || !/^0x[0-9a-fA-F]{40}$/.test(value)) throw new TypeError(`${field} is not a 0x-prefixed 20-byte hex address`);
  try {
    return getAddress(value);
  } catch {
    throw new TypeError(`${field} fails its EIP-55 checksum`);
  }
}

/** An address as an indexed topic: left-padded to 32 bytes, lower-case. */
function addressTopic(canonical: string): string {
  return zeroPadValue(canonical, 32).toLowerCase();
}

/** The node's own message for a JSON-RPC error, else ethers' short message (its long one repeats the request). */
function describeRpcError(e: unknown): string {
  if (typeof e === 'object' && e !== null) {
    const inner = (e as { error?: unknown }).error;
    if (typeof inner === 'object' && inner !== null) {
      const { message, code } = inner as { message?: unknown; code?: unknown };
      if (typeof message === 'string') return typeof code === 'number' ? `${message} (${code})` : message;
    }
    const short = (e as { shortMessage?: unknown }).shortMessage;
    if (typeof short === 'string') return short;
  }
  return e instanceof Error ? e.message : String(e);
}

const HEX32 = /^0x[0-9a-fA-F]{64}$/;
// 13 hex digits stay below 2^53: anything longer cannot be a block number or log index.
const QUANTITY = /^0x[0-9a-fA-F]{1,13}$/;
const ADDRESS_TOPIC = /^0x0{24}[0-9a-fA-F]{40}$/;

class Malformed extends Error {}

function quantity(value: unknown, field: string): number {
  if (typeof value !== 'string' || !QUANTITY.test(value)) throw new Malformed(`${field} is not a hex quantity: ${preview(value)}`);
  return Number.parseInt(value.slice(2), 16);
}

function hash(value: unknown, field: string): string {
  if (typeof value !== 'string' || !HEX32.test(value)) throw new Malformed(`${field} is not a 32-byte hex hash: ${preview(value)}`);
  return value.toLowerCase();
}

function preview(value: unknown): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface LogQuery {
  contract: string;
  /** The padded `to` topics this call asked for. */
  to: ReadonlySet<string>;
  fromBlock: number;
  toBlock: number;
}

function parseLogs(result: unknown, query: LogQuery): ObservedTransfer[] {
  if (!Array.isArray(result)) throw new Error(`eth_getLogs answered ${preview(result)}, not a list of logs`);
  const out: ObservedTransfer[] = [];
  result.forEach((log: unknown, i) => {
    try {
      const transfer = parseLog(log, query);
      if (transfer) out.push(transfer);
    } catch (e) {
      if (!(e instanceof Malformed)) throw e;
      throw new Error(`eth_getLogs answered a malformed log (#${i}): ${e.message}`, { cause: e });
    }
  });
  return out;
}

/** One Transfer log, checked against the filter it answers; null for a log a reorg removed. */
function parseLog(log: unknown, query: LogQuery): ObservedTransfer | null {
  if (!isRecord(log)) throw new Malformed(`not an object: ${preview(log)}`);
  if (log.removed !== undefined && typeof log.removed !== 'boolean') throw new Malformed(`removed is not a boolean: ${preview(log.removed)}`);
  if (log.removed === true) return null;

  if (typeof log.address !== 'string' || log.address.toLowerCase() !== query.contract.toLowerCase()) {
    throw new Malformed(`address ${preview(log.address)} is not the token ${query.contract}`);
  }
  const topics = log.topics;
  // Exactly three: ERC721 shares the event signature but indexes the token id as a fourth topic.
  if (!Array.isArray(topics) || topics.length !== 3) throw new Malformed(`topics is not a list of 3: ${preview(topics)}`);
  const [topic0, fromTopic, toTopic] = topics as unknown[];
  if (typeof topic0 !== 'string' || topic0.toLowerCase() !== TRANSFER_TOPIC) throw new Malformed(`topics[0] is not the Transfer event: ${preview(topic0)}`);
  if (typeof fromTopic !== 'string' || !ADDRESS_TOPIC.test(fromTopic)) throw new Malformed(`topics[1] is not a padded address: ${preview(fromTopic)}`);
  if (typeof toTopic !== 'string' || !ADDRESS_TOPIC.test(toTopic)) throw new Malformed(`topics[2] is not a padded address: ${preview(toTopic)}`);
  if (!query.to.has(toTopic.toLowerCase())) throw new Malformed(`topics[2] ${toTopic} is not one of the addresses asked for`);

  if (typeof log.data !== 'string' || !HEX32.test(log.data)) throw new Malformed(`data is not one 32-byte word: ${preview(log.data)}`);

  const blockNumber = quantity(log.blockNumber, 'blockNumber');
  if (blockNumber < query.fromBlock || blockNumber > query.toBlock) {
    throw new Malformed(`blockNumber ${blockNumber} is outside the range asked for, [${query.fromBlock}, ${query.toBlock}]`);
  }
  return {
    txHash: hash(log.transactionHash, 'transactionHash'),
    logIndex: quantity(log.logIndex, 'logIndex'),
    from: getAddress(`0x${fromTopic.slice(26)}`),
    to: getAddress(`0x${toTopic.slice(26)}`),
    amount: BigInt(log.data),
    blockNumber,
    blockHash: hash(log.blockHash, 'blockHash'),
  };
}

function blockHash(block: unknown, n: number): string | null {
  if (block === null) return null;
  try {
    if (!isRecord(block)) throw new Malformed(`not an object: ${preview(block)}`);
    const number = quantity(block.number, 'number');
    if (number !== n) throw new Malformed(`it is block ${number}`);
    return hash(block.hash, 'hash');
  } catch (e) {
    if (!(e instanceof Malformed)) throw e;
    throw new Error(`eth_getBlockByNumber(${n}) answered a malformed block: ${e.message}`, { cause: e });
  }
}
