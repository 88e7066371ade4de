/**
 * The Ethereum transfer source against a real anvil node (HTTP and websocket), plus tiny local
 * JSON-RPC servers for what anvil never does: answer garbage, or not answer at all.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect, createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { Wallet, ZeroAddress, getAddress, zeroPadValue, type TransactionReceipt } from 'ethers';
import {
  ADDRESS_CHUNK,
  TRANSFER_TOPIC,
  evmTransferSource,
  type EvmTransferSource,
} from '../../../src/services/chain/evm-transfer-source.js';
import type { ObservedTransfer } from '../../../src/services/chain/transfer-source.js';
import { startAnvil, type Anvil, type DeployedToken } from '../../support/anvil.js';
import { rejection } from '../../support/rejection.js';

const TIMEOUT_MS = 5_000;
const signal = (): AbortSignal => AbortSignal.timeout(TIMEOUT_MS);
const randomAddress = (): string => Wallet.createRandom().address;

/** What the source should report for the (only) Transfer log of `receipt`. */
function expected(receipt: TransactionReceipt, from: string, to: string, amount: bigint): ObservedTransfer {
  const [log] = receipt.logs;
  if (!log || receipt.blockHash === null) throw new Error('receipt without a log');
  return {
    txHash: receipt.hash.toLowerCase(),
    logIndex: log.index,
    from,
    to,
    amount,
    blockNumber: receipt.blockNumber,
    blockHash: receipt.blockHash.toLowerCase(),
  };
}

describe('evmTransferSource over anvil', () => {
  let anvil: Anvil;
  let usdt: DeployedToken;
  let other: DeployedToken;
  let source: EvmTransferSource;
  const closers: (() => unknown)[] = [];

  beforeAll(async () => {
    anvil = await startAnvil();
    usdt = await anvil.deployToken({ name: 'Test Tether', symbol: 'USDT', decimals: 6 });
    other = await anvil.deployToken({ name: 'Other', symbol: 'OTH', decimals: 6 });
    await anvil.mint(usdt, anvil.deployer.address, 10n ** 15n);
    await anvil.mint(other, anvil.deployer.address, 10n ** 15n);
    source = evmTransferSource(anvil.url, { timeoutMs: TIMEOUT_MS });
  });
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });
  afterAll(async () => {
    source?.destroy();
    await anvil?.stop();
  });

  const head = (): Promise<number> => anvil.provider.getBlockNumber();

  it('finds transfers of the token to watched addresses; other recipients and other tokens are ignored', async () => {
    const [w1, w2, stranger] = [randomAddress(), randomAddress(), randomAddress()];
    const from = await head();
    const r1 = await anvil.transfer(usdt, w1, 1_500_000n);
    await anvil.transfer(usdt, stranger, 7n);
    await anvil.transfer(other, w1, 9n);
    const r2 = await anvil.transfer(usdt, w2, 2_000_000n);
    const r3 = await anvil.mint(usdt, w1, 3n); // a mint is a Transfer from the zero address

    // Lower-case in, EIP-55 out.
    const found = await source.transfersTo(usdt.address.toLowerCase(), [w1.toLowerCase(), w2], from, await head(), signal());

    expect(found).toEqual([
      expected(r1, anvil.deployer.address, w1, 1_500_000n),
      expected(r2, anvil.deployer.address, w2, 2_000_000n),
      expected(r3, ZeroAddress, w1, 3n),
    ]);
    for (const t of found) {
      expect(t.txHash).toMatch(/^0x[0-9a-f]{64}$/);
      expect(t.blockHash).toMatch(/^0x[0-9a-f]{64}$/);
      expect(t.to).toBe(getAddress(t.to));
    }
    expect(await source.transfersTo(other.address, [stranger], from, await head(), signal())).toEqual([]);
    expect(await source.transfersTo(usdt.address, [], from, await head(), signal())).toEqual([]);
  });

  it('sorts by (blockNumber, logIndex) across chunks, and splits the watched addresses into chunks per eth_getLogs', async () => {
    const recorder = await recordingProxy(anvil.url);
    closers.push(recorder.close);
    const chunked = evmTransferSource(recorder.url, { timeoutMs: TIMEOUT_MS, addressChunk: 2 });
    closers.push(() => chunked.destroy());

    const watched = Array.from({ length: 5 }, randomAddress);
    const from = await head();
    const receipts: TransactionReceipt[] = [];
    // Reverse order, so chunk order (by address) and block order disagree.
    for (const [i, to] of [...watched].reverse().entries()) receipts.push(await anvil.transfer(usdt, to, BigInt(i + 1)));
    await anvil.transfer(usdt, randomAddress(), 1n);

    recorder.calls.length = 0;
    // A repeat in another case is the same address: five distinct, three calls of at most two.
    const found = await chunked.transfersTo(usdt.address, [...watched, watched[0]!.toLowerCase()], from, await head(), signal());

    expect(found).toEqual(receipts.map((r, i) => expected(r, anvil.deployer.address, [...watched].reverse()[i]!, BigInt(i + 1))));
    const getLogs = recorder.calls.filter((c) => c.method === 'eth_getLogs');
    expect(getLogs).toHaveLength(3);
    const filters = getLogs.map((c) => (c.params as [{ address: string; topics: [string, null, string[]] }])[0]);
    expect(filters.map((f) => f.topics[2].length)).toEqual([2, 2, 1]);
    expect(filters.flatMap((f) => f.topics[2])).toEqual(watched.map((a) => zeroPadValue(a, 32).toLowerCase()));
    for (const f of filters) {
      expect(f.topics[0]).toBe(TRANSFER_TOPIC);
      expect(f.topics[1]).toBeNull();
      expect(f.address).toBe(usdt.address.toLowerCase());
    }
    expect(ADDRESS_CHUNK).toBe(500);
    expect(TRANSFER_TOPIC).toBe('0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef');
  });

  it('reads [fromBlock, toBlock] inclusive at both ends', async () => {
    const to = randomAddress();
    const [b1, b2, b3] = [
      (await anvil.transfer(usdt, to, 1n)).blockNumber,
      (await anvil.transfer(usdt, to, 2n)).blockNumber,
      (await anvil.transfer(usdt, to, 3n)).blockNumber,
    ];
    expect([b2 - b1, b3 - b2]).toEqual([1, 1]); // automine: one transaction per block
    const amounts = async (from: number, until: number): Promise<bigint[]> =>
      (await source.transfersTo(usdt.address, [to], from, until, signal())).map((t) => t.amount);

    expect(await amounts(b2, b2)).toEqual([2n]);
    expect(await amounts(b1, b2)).toEqual([1n, 2n]);
    expect(await amounts(b2, b3)).toEqual([2n, 3n]);
    expect(await amounts(b1 - 1, b3 + 0)).toEqual([1n, 2n, 3n]);
    expect(await amounts(b3, b3 + 10)).toEqual([3n]); // anvil serves a toBlock past its head...
    // ...but refuses a fromBlock past it; the node's own message comes through.
    expect((await rejection(amounts(b3 + 1, b3 + 1))).message).toMatch(/^eth_getLogs on 127\.0\.0\.1:\d+ failed: BlockOutOfRangeError/);
    await expect(source.transfersTo(usdt.address, [to], b2, b1, signal())).rejects.toThrow(RangeError);
    await expect(source.transfersTo(usdt.address, [to], -1, b1, signal())).rejects.toThrow(RangeError);
    await expect(source.transfersTo(usdt.address, [to], 1.5, b1, signal())).rejects.toThrow(/fromBlock must be a non-negative integer/);
    await expect(source.transfersTo('0x1234', [to], b1, b2, signal())).rejects.toThrow(/token is not/);
    await expect(source.transfersTo(usdt.address, [to, to.toLowerCase().replace('0x', '0X')], b1, b2, signal())).rejects.toThrow(/toAddresses\[1\]/);
    // Mixed case is a checksum: EIP-55's own example with one letter lowered.
    await expect(source.transfersTo(usdt.address, ['0x5aaeb6053F3E94C9b9A09f33669435E7Ef1BeAed'], b1, b2, signal())).rejects.toThrow(
      /toAddresses\[0\] fails its EIP-55 checksum/,
    );
    await expect(source.blockHashes([b1, -3], signal())).rejects.toThrow(/blockNumbers\[1\]/);
  });

  it('head is eth_blockNumber', async () => {
    const before = await source.head(signal());
    expect(before).toBe(await head());
    await anvil.mine(3);
    expect(await source.head(signal())).toBe(before + 3);
  });

  it('blockHashes: the canonical hash, null past the head, and a different hash once a reorg replaces the block', async () => {
    const to = randomAddress();
    const snapshot = (await anvil.provider.send('evm_snapshot', [])) as string;
    const original = await anvil.transfer(usdt, to, 100n);
    const n = original.blockNumber;

    const before = await source.blockHashes([n, n - 1, n, n + 50], signal());
    expect([...before.keys()]).toEqual([n, n - 1, n + 50]);
    expect(before.get(n)).toBe(original.blockHash?.toLowerCase());
    expect(before.get(n - 1)).toMatch(/^0x[0-9a-f]{64}$/);
    expect(before.get(n + 50)).toBeNull();
    expect((await source.transfersTo(usdt.address, [to], n, n, signal())).map((t) => t.blockHash)).toEqual([before.get(n)]);

    // The reorg: back to before the transfer, then a different block at the same height.
    expect(await anvil.provider.send('evm_revert', [snapshot])).toBe(true);
    const replacement = await anvil.transfer(usdt, to, 200n);
    expect(replacement.blockNumber).toBe(n);

    const after = await source.blockHashes([n, n - 1], signal());
    expect(after.get(n)).toBe(replacement.blockHash?.toLowerCase());
    expect(after.get(n)).not.toBe(before.get(n));
    expect(after.get(n - 1)).toBe(before.get(n - 1));
    const now = await source.transfersTo(usdt.address, [to], n, n, signal());
    expect(now.map((t) => [t.amount, t.blockHash])).toEqual([[200n, after.get(n)]]);
    expect(await source.blockHashes([], signal())).toEqual(new Map());
  });

  describe('over the websocket endpoint', () => {
    const wsUrl = (): string => anvil.url.replace(/^http:/, 'ws:');

    it('returns null from onNewHead for an http URL', () => {
      expect(source.onNewHead(() => undefined)).toBeNull();
    });

    it('reports every mined block to onNewHead until unsubscribed, and reads logs and hashes too', async () => {
      const ws = evmTransferSource(wsUrl(), { timeoutMs: TIMEOUT_MS });
      closers.push(() => ws.destroy());
      const heads: number[] = [];
      const unsubscribe = ws.onNewHead((n) => heads.push(n));
      expect(unsubscribe).toEqual(expect.any(Function));

      // ethers sends eth_subscribe in the background: mine until the subscription is live.
      await until(async () => {
        await anvil.mine();
        return heads.length > 0;
      });
      // Heads arrive after the mine call returns: let the ones in flight land first.
      const first = await head();
      await until(() => heads.at(-1) === first);
      await anvil.mine();
      await anvil.mine(2); // one anvil_mine of two blocks still announces each
      await until(() => heads.at(-1) === first + 3);
      expect(heads.slice(heads.indexOf(first))).toEqual([first, first + 1, first + 2, first + 3]);

      const to = randomAddress();
      const receipt = await anvil.transfer(usdt, to, 5n);
      expect(await ws.head(signal())).toBe(receipt.blockNumber);
      expect(await ws.transfersTo(usdt.address, [to], receipt.blockNumber, receipt.blockNumber, signal())).toEqual([
        expected(receipt, anvil.deployer.address, to, 5n),
      ]);
      expect((await ws.blockHashes([receipt.blockNumber], signal())).get(receipt.blockNumber)).toBe(receipt.blockHash?.toLowerCase());

      unsubscribe!();
      unsubscribe!(); // idempotent
      const seen = heads.length;
      await anvil.mine(2);
      await sleep(200);
      expect(heads).toHaveLength(seen);
    });

    it('destroy() closes the socket and fails later calls at once', async () => {
      const relay = await tcpRelay(anvil.url);
      closers.push(relay.close);
      const ws = evmTransferSource(relay.url.replace(/^http:/, 'ws:'), { timeoutMs: TIMEOUT_MS });
      expect(await ws.head(signal())).toBe(await head());
      expect(relay.open()).toBe(1);

      ws.destroy();
      await until(() => relay.open() === 0);
      expect((await rejection(ws.head(signal()))).message).toMatch(/destroyed/);
      expect(ws.onNewHead(() => undefined)).toBeNull();
      ws.destroy(); // idempotent
    });

    it('fails calls fast when the socket drops, and never throws for a refused connection', async () => {
      const relay = await tcpRelay(anvil.url);
      closers.push(relay.close);
      const ws = evmTransferSource(relay.url.replace(/^http:/, 'ws:'), { timeoutMs: TIMEOUT_MS });
      closers.push(() => ws.destroy());
      await ws.head(signal());
      relay.cut();
      const started = Date.now();
      expect((await rejection(ws.head(signal()))).message).toMatch(/websocket to 127\.0\.0\.1:\d+ closed/);
      expect(Date.now() - started).toBeLessThan(1_000);

      const port = await closedPort();
      const refused = evmTransferSource(`ws://127.0.0.1:${port}`, { timeoutMs: TIMEOUT_MS });
      closers.push(() => refused.destroy());
      expect((await rejection(refused.head(signal()))).message).toMatch(/websocket to 127\.0\.0\.1:\d+ (failed|closed)/);
    });

    it('leaves no unhandled rejection when destroyed right after subscribing or unsubscribing', async () => {
      const unhandled: unknown[] = [];
      const onUnhandled = (e: unknown): void => void unhandled.push(e);
      process.on('unhandledRejection', onUnhandled);
      try {
        const a = evmTransferSource(wsUrl(), { timeoutMs: TIMEOUT_MS });
        a.onNewHead(() => undefined);
        a.destroy();

        const b = evmTransferSource(wsUrl(), { timeoutMs: TIMEOUT_MS });
        const heads: number[] = [];
        const stop = b.onNewHead((n) => heads.push(n));
        await until(async () => {
          await anvil.mine();
          return heads.length > 0;
        });
        stop?.();
        b.destroy();

        const c = evmTransferSource(wsUrl(), { timeoutMs: TIMEOUT_MS });
        const pending = c.head(signal());
        c.destroy();
        expect((await rejection(pending)).message).toMatch(/destroyed/);
        await sleep(300);
      } finally {
        process.off('unhandledRejection', onUnhandled);
      }
      expect(unhandled).toEqual([]);
    });
  });
});

describe('evmTransferSource against a misbehaving node', () => {
  const token = getAddress('0x' + '11'.repeat(20));
  const watched = getAddress('0x' + '22'.repeat(20));
  const sender = getAddress('0x' + '33'.repeat(20));
  const topic = (a: string): string => zeroPadValue(a, 32).toLowerCase();
  const goodLog = {
    address: token.toLowerCase(),
    topics: [TRANSFER_TOPIC, topic(sender), topic(watched)],
    data: '0x' + (1234n).toString(16).padStart(64, '0'),
    blockNumber: '0x10',
    blockHash: '0x' + 'AB'.repeat(32),
    transactionHash: '0x' + 'CD'.repeat(32),
    transactionIndex: '0x0',
    logIndex: '0x2',
    removed: false,
  };
  const closers: (() => unknown)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  /** A source in front of a JSON-RPC server that answers each method with `answers[method]`. */
  async function sourceFor(answers: Record<string, unknown>): Promise<EvmTransferSource> {
    const node = await fakeNode((method) => (method in answers ? { result: answers[method] } : { error: { code: -32601, message: `no ${method}` } }));
    closers.push(node.close);
    const s = evmTransferSource(node.url, { timeoutMs: TIMEOUT_MS });
    closers.push(() => s.destroy());
    return s;
  }

  const transfers = async (logs: unknown): Promise<ObservedTransfer[]> =>
    (await sourceFor({ eth_getLogs: logs })).transfersTo(token, [watched], 0x10, 0x20, signal());

  it('parses a well-formed log (lower-casing hashes) and drops a removed one', async () => {
    const removed = { ...goodLog, logIndex: '0x1', removed: true };
    expect(await transfers([goodLog, removed])).toEqual([
      {
        txHash: '0x' + 'cd'.repeat(32),
        logIndex: 2,
        from: sender,
        to: watched,
        amount: 1234n,
        blockNumber: 16,
        blockHash: '0x' + 'ab'.repeat(32),
      },
    ]);
  });

  const { topics: _t, ...noTopics } = goodLog;
  it.each<[string, unknown, RegExp]>([
    ['a result that is not a list', { logs: [] }, /not a list of logs/],
    ['a null result', null, /not a list of logs/],
    ['a log that is not an object', ['0x00'], /malformed log \(#1\): not an object/],
    ['missing topics', [noTopics], /topics is not a list of 3/],
    ['four topics (an ERC721 Transfer)', [{ ...goodLog, topics: [...goodLog.topics, topic(sender)] }], /topics is not a list of 3/],
    ['another event', [{ ...goodLog, topics: ['0x' + '00'.repeat(32), ...goodLog.topics.slice(1)] }], /topics\[0\] is not the Transfer event/],
    ['a from topic that is not a padded address', [{ ...goodLog, topics: [TRANSFER_TOPIC, '0x' + 'ff'.repeat(32), topic(watched)] }], /topics\[1\]/],
    ['a recipient that was not asked for', [{ ...goodLog, topics: [TRANSFER_TOPIC, topic(sender), topic(sender)] }], /topics\[2\] .* not one of the addresses/],
    ['another contract', [{ ...goodLog, address: sender }], /is not the token/],
    ['non-hex data', [{ ...goodLog, data: '0xzz' + '0'.repeat(62) }], /data is not one 32-byte word/],
    ['short data', [{ ...goodLog, data: '0x04d2' }], /data is not one 32-byte word/],
    ['a decimal block number', [{ ...goodLog, blockNumber: 16 }], /blockNumber is not a hex quantity/],
    ['a block outside the range', [{ ...goodLog, blockNumber: '0x21' }], /outside the range asked for, \[16, 32\]/],
    ['a pending log without block hash', [{ ...goodLog, blockHash: null }], /blockHash is not a 32-byte hex hash/],
    ['a short transaction hash', [{ ...goodLog, transactionHash: '0x1234' }], /transactionHash/],
    ['a missing log index', [{ ...goodLog, logIndex: undefined }], /logIndex is not a hex quantity/],
    ['a removed flag that is not a boolean', [{ ...goodLog, removed: 'no' }], /removed is not a boolean/],
  ])('throws on %s', async (_what, logs, message) => {
    // After a good log: nothing of a half-parsed answer comes back.
    const e = await rejection(transfers(Array.isArray(logs) ? [goodLog, ...(logs as unknown[])] : logs));
    expect(e.message).toMatch(message);
  });

  it('throws on a garbage block number or block', async () => {
    const s = await sourceFor({
      eth_blockNumber: '12',
      eth_getBlockByNumber: { number: '0x5', hash: '0x1234' },
    });
    expect((await rejection(s.head(signal()))).message).toMatch(/eth_blockNumber answered garbage: the block number is not a hex quantity: "12"/);
    expect((await rejection(s.blockHashes([5], signal()))).message).toMatch(/eth_getBlockByNumber\(5\) answered a malformed block: hash/);
    expect((await rejection(s.blockHashes([6], signal()))).message).toMatch(/it is block 5/);
  });

  it('reports a JSON-RPC error with the node message, and a body that is not JSON', async () => {
    const s = await sourceFor({});
    expect((await rejection(s.head(signal()))).message).toMatch(/^eth_blockNumber on 127\.0\.0\.1:\d+ failed: no eth_blockNumber \(-32601\)$/);

    const node = await fakeNode(() => 'this is not json');
    closers.push(node.close);
    const t = evmTransferSource(node.url, { timeoutMs: TIMEOUT_MS });
    closers.push(() => t.destroy());
    expect((await rejection(t.transfersTo(token, [watched], 1, 2, signal()))).message).toMatch(/^eth_getLogs on 127\.0\.0\.1:\d+ failed/);
  });

  it('rejects once the AbortSignal fires when the node never answers', async () => {
    const node = await fakeNode(() => undefined);
    closers.push(node.close);
    // The transport timeout is far longer than the signal's: it is the signal that ends each call.
    const s = evmTransferSource(node.url, { timeoutMs: 60_000 });
    closers.push(() => s.destroy());
    for (const call of [
      (sig: AbortSignal) => s.head(sig),
      (sig: AbortSignal) => s.transfersTo(token, [watched], 1, 2, sig),
      (sig: AbortSignal) => s.blockHashes([1, 2], sig),
    ]) {
      const started = Date.now();
      expect((await rejection(call(AbortSignal.timeout(200)))).message).toBe('timed out');
      expect(Date.now() - started).toBeGreaterThanOrEqual(190);
      expect(Date.now() - started).toBeLessThan(1_000);
    }
    const aborted = AbortSignal.abort();
    const before = node.requests();
    expect((await rejection(s.head(aborted))).message).toBe('timed out');
    await sleep(20);
    expect(node.requests()).toBe(before); // nothing sent for a call that was already too late
  });
});

interface JsonRpcCall {
  method: string;
  params: unknown;
}

/**
 * A JSON-RPC server on 127.0.0.1: `answer` gives the reply object (without jsonrpc/id), a raw body
 * string, or undefined to never answer. eth_chainId is always answered, as ethers asks it first.
 */
async function fakeNode(answer: (method: string, params: unknown) => object | string | undefined): Promise<{ url: string; requests(): number; close(): Promise<void> }> {
  let requests = 0;
  const server = createHttpServer((req, res) => {
    void readJson(req).then((call) => {
      if (call.method !== 'eth_chainId') requests++;
      const reply = call.method === 'eth_chainId' ? { result: '0x7a69' } : answer(call.method, call.params);
      if (reply === undefined) return; // hold the request open
      res.setHeader('content-type', 'application/json');
      res.end(typeof reply === 'string' ? reply : JSON.stringify({ jsonrpc: '2.0', id: call.id, ...reply }));
    });
  });
  return { ...(await listen(server)), requests: () => requests };
}

/** An HTTP JSON-RPC relay to `target` that records each call. */
async function recordingProxy(target: string): Promise<{ url: string; calls: JsonRpcCall[]; close(): Promise<void> }> {
  const calls: JsonRpcCall[] = [];
  const server = createHttpServer((req, res) => {
    void (async () => {
      const call = await readJson(req);
      calls.push({ method: call.method, params: call.params });
      const upstream = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(call) });
      res.setHeader('content-type', 'application/json');
      res.end(await upstream.text());
    })().catch((e: unknown) => answerError(res, e));
  });
  return { ...(await listen(server)), calls };
}

/** A TCP relay to `target` that counts open connections and can drop them all. */
async function tcpRelay(target: string): Promise<{ url: string; open(): number; cut(): void; close(): Promise<void> }> {
  const { hostname, port } = new URL(target);
  const sockets = new Set<Socket>();
  const server = createTcpServer((client) => {
    const upstream = connect(Number(port), hostname);
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    for (const s of [client, upstream]) s.on('error', () => undefined);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const cut = (): void => {
    for (const s of sockets) s.destroy();
  };
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    open: () => sockets.size,
    cut,
    close: () => {
      cut();
      return new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

async function listen(server: Server): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

async function readJson(req: IncomingMessage): Promise<{ id: unknown; method: string; params: unknown }> {
  let body = '';
  for await (const chunk of req) body += String(chunk);
  return JSON.parse(body) as { id: unknown; method: string; params: unknown };
}

function answerError(res: ServerResponse, e: unknown): void {
  res.statusCode = 502;
  res.end(String(e));
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(25);
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}
