/**
 * The TRON transfer source against the TronGrid fake over real HTTP: what it asks TronGrid (query,
 * bodies, key header), how it places each transfer on its block and log, how it pages, backs off on
 * 429, refuses garbage and stops when aborted.
 */
import { createHash } from 'node:crypto';
import { TronWeb } from 'tronweb';
import { tronTransferSource, type TronTransferSource } from '../../../src/services/chain/tron-transfer-source.js';
import { InvalidInputError } from '../../../src/services/errors.js';
import { blockHashOf, blockTimestampOf, startTronGridFake, type Json, type TronGridFake } from '../../support/trongrid-fake.js';

/** A valid base58check TRON address derived from a label. */
const tronAddress = (label: string): string =>
  TronWeb.address.fromHex(`41${createHash('sha256').update(label).digest('hex').slice(0, 40)}`);

const USDT = tronAddress('usdt contract');
const OTHER_TOKEN = tronAddress('other token contract');
const DEPOSIT = tronAddress('deposit wallet');
const OTHER_WALLET = tronAddress('another deposit wallet');
const PAYER = tronAddress('payer');
const PAYER_2 = tronAddress('second payer');

const TRC20_PATH = `/v1/accounts/${DEPOSIT}/transactions/trc20`;

let fake: TronGridFake;
let sleeps: number[];
const sleep = async (ms: number): Promise<void> => {
  sleeps.push(ms);
};
const signal = (): AbortSignal => AbortSignal.timeout(15_000);
const source = (opts: { apiKey?: string; maxPages?: number; maxRetries?: number } = {}): TronTransferSource =>
  tronTransferSource(fake.url, { sleep, ...opts });
const listRequests = () => fake.requests.filter((r) => r.path === TRC20_PATH);

beforeEach(async () => {
  fake = await startTronGridFake();
  sleeps = [];
});
afterEach(async () => {
  await fake.stop();
});

describe('transfersTo', () => {
  it('finds the transfers of the token into the address, each on its block, log and block hash', async () => {
    // A payment at log 2 of its transaction (logs 0 and 1 belong to something else).
    const a = fake.addTransfer({ contract: USDT, from: PAYER, to: DEPOSIT, value: 12_345_678n, blockNumber: 100, confirmed: true, logIndex: 2 });
    // One transaction paying the address twice (a batch payout): two transfers, two log indexes.
    const b1 = fake.addTransfer({ contract: USDT, from: PAYER_2, to: DEPOSIT, value: 5_000_000n, blockNumber: 101, confirmed: true });
    const b2 = fake.addTransfer({ contract: USDT, from: PAYER_2, to: DEPOSIT, value: 7_000_000n, blockNumber: 101, confirmed: true, txId: b1.txId });
    // Noise TronGrid filters out with contract_address and only_to.
    fake.addTransfer({ contract: OTHER_TOKEN, from: PAYER, to: DEPOSIT, value: 1n, blockNumber: 100, confirmed: true });
    fake.addTransfer({ contract: USDT, from: DEPOSIT, to: PAYER, value: 2n, blockNumber: 100, confirmed: true });
    fake.addTransfer({ contract: USDT, from: PAYER, to: OTHER_WALLET, value: 3n, blockNumber: 100, confirmed: true });

    const since = blockTimestampOf(90);
    const found = await source().transfersTo(USDT, DEPOSIT, since, true, signal());

    expect(found).toEqual([
      { txHash: a.txId, logIndex: 2, from: PAYER, to: DEPOSIT, amount: 12_345_678n, blockNumber: 100, blockHash: blockHashOf(100) },
      { txHash: b1.txId, logIndex: 0, from: PAYER_2, to: DEPOSIT, amount: 5_000_000n, blockNumber: 101, blockHash: blockHashOf(101) },
      { txHash: b1.txId, logIndex: 1, from: PAYER_2, to: DEPOSIT, amount: 7_000_000n, blockNumber: 101, blockHash: blockHashOf(101) },
    ]);
    expect(b2.logIndex).toBe(1);
    expect(found[0]!.txHash).toMatch(/^[0-9a-f]{64}$/);
    expect(found[0]!.blockHash).toMatch(/^[0-9a-f]{64}$/);

    // Asked the way TronGrid documents it.
    const [list] = listRequests();
    expect(list).toMatchObject({ method: 'GET' });
    expect(list!.query).toEqual({
      only_confirmed: 'true',
      only_to: 'true',
      contract_address: USDT,
      min_timestamp: String(since),
      order_by: 'block_timestamp,asc',
      limit: '200',
    });
    const infos = fake.requests.filter((r) => r.path === '/wallet/gettransactioninfobyid');
    expect(infos.map((r) => r.method)).toEqual(['POST', 'POST']); // one per transaction, not per transfer
    expect(infos.map((r) => r.body).sort(byJson)).toEqual([{ value: a.txId }, { value: b1.txId }].sort(byJson));
    const blocks = fake.requests.filter((r) => r.path === '/wallet/getblockbynum');
    expect(blocks.map((r) => r.body).sort(byJson)).toEqual([{ num: 100 }, { num: 101 }]);
    expect(blocks[0]!.headers['content-type']).toBe('application/json');
  });

  it('ignores other tokens, outgoing transfers and Approval records even when TronGrid lists them', async () => {
    const paid = fake.addTransfer({ contract: USDT, from: PAYER, to: DEPOSIT, value: 9n, blockNumber: 50, confirmed: true });
    const record = (over: Json): Json => ({
      transaction_id: 'ab'.repeat(32),
      token_info: { symbol: 'USDT', address: USDT, decimals: 6, name: 'Tether USD' },
      block_timestamp: blockTimestampOf(50),
      from: PAYER,
      to: DEPOSIT,
      type: 'Transfer',
      value: '1',
      ...over,
    });
    fake.tamperNext(1, (body) => ({
      ...body,
      data: [
        ...(body.data as Json[]),
        record({ token_info: { symbol: 'X', address: OTHER_TOKEN, decimals: 6, name: 'X' } }),
        record({ from: DEPOSIT, to: PAYER }),
        record({ type: 'Approval' }),
      ],
    }));

    const found = await source().transfersTo(USDT, DEPOSIT, 0, true, signal());

    expect(found.map((t) => t.txHash)).toEqual([paid.txId]);
    // The ignored records were never looked up.
    expect(fake.requests.filter((r) => r.path === '/wallet/gettransactioninfobyid')).toHaveLength(1);
  });

  it('asks for confirmed or unconfirmed transfers only, as told', async () => {
    const solid = fake.addTransfer({ contract: USDT, from: PAYER, to: DEPOSIT, value: 1_000n, blockNumber: 200, confirmed: true });
    const fresh = fake.addTransfer({ contract: USDT, from: PAYER, to: DEPOSIT, value: 2_000n, blockNumber: 230, confirmed: false });
    const tron = source();

    const confirmed = await tron.transfersTo(USDT, DEPOSIT, 0, true, signal());
    const unconfirmed = await tron.transfersTo(USDT, DEPOSIT, 0, false, signal());

    expect(confirmed).toEqual([expect.objectContaining({ txHash: solid.txId, amount: 1_000n, blockNumber: 200 })]);
    expect(unconfirmed).toEqual([expect.objectContaining({ txHash: fresh.txId, amount: 2_000n, blockNumber: 230, blockHash: blockHashOf(230) })]);
    const [first, second] = listRequests();
    expect(first!.query).toMatchObject({ only_confirmed: 'true' });
    expect(first!.query).not.toHaveProperty('only_unconfirmed');
    expect(second!.query).toMatchObject({ only_unconfirmed: 'true' });
    expect(second!.query).not.toHaveProperty('only_confirmed');
  });

  it('follows the fingerprint over 450 transfers (3 pages of at most 200), same filters on every page', async () => {
    const added = [];
    for (let i = 0; i < 450; i++) {
      // Two transfers per block, blocks out of insertion order, so the result's order is the source's work.
      const blockNumber = 10_000 + ((i * 7) % 225);
      added.push(fake.addTransfer({ contract: USDT, from: i % 2 ? PAYER : PAYER_2, to: DEPOSIT, value: BigInt(i + 1), blockNumber, confirmed: true }));
    }

    const found = await source().transfersTo(USDT, DEPOSIT, 0, true, signal());

    expect(found).toHaveLength(450);
    expect(new Set(found.map((t) => t.txHash)).size).toBe(450);
    expect(found.map((t) => t.amount).sort((x, y) => Number(x - y))).toEqual(added.map((_, i) => BigInt(i + 1)));
    for (let i = 1; i < found.length; i++) {
      const [p, c] = [found[i - 1]!, found[i]!];
      expect(p.blockNumber < c.blockNumber || (p.blockNumber === c.blockNumber && p.logIndex <= c.logIndex)).toBe(true);
    }
    for (const t of found) expect(t.blockHash).toBe(blockHashOf(t.blockNumber));

    const pages = listRequests();
    expect(pages).toHaveLength(3);
    expect(pages[0]!.query).not.toHaveProperty('fingerprint');
    const { fingerprint: fp2, ...rest2 } = pages[1]!.query;
    const { fingerprint: fp3, ...rest3 } = pages[2]!.query;
    expect(fp2).toBeTruthy();
    expect(fp3).toBeTruthy();
    expect(fp3).not.toBe(fp2);
    expect(rest2).toEqual(pages[0]!.query);
    expect(rest3).toEqual(pages[0]!.query);
    // One block lookup per distinct block, not per transfer.
    expect(fake.requests.filter((r) => r.path === '/wallet/getblockbynum')).toHaveLength(225);
  });

  it('refuses to return a truncated list when there are more pages than maxPages', async () => {
    for (let i = 0; i < 450; i++) fake.addTransfer({ contract: USDT, from: PAYER, to: DEPOSIT, value: 1n, blockNumber: 300 + i, confirmed: true });

    await expect(source({ maxPages: 2 }).transfersTo(USDT, DEPOSIT, 0, true, signal())).rejects.toThrow(/more than 2 pages/);
    expect(listRequests()).toHaveLength(2);
  });

  it('returns only transfers at or after sinceMs', async () => {
    const t0 = blockTimestampOf(400);
    fake.addTransfer({ contract: USDT, from: PAYER, to: DEPOSIT, value: 1n, blockNumber: 399, blockTimestamp: t0 - 1, confirmed: true });
    const at = fake.addTransfer({ contract: USDT, from: PAYER, to: DEPOSIT, value: 2n, blockNumber: 400, blockTimestamp: t0, confirmed: true });
    const after = fake.addTransfer({ contract: USDT, from: PAYER, to: DEPOSIT, value: 3n, blockNumber: 401, blockTimestamp: t0 + 3000, confirmed: true });

    const found = await source().transfersTo(USDT, DEPOSIT, t0, true, signal());

    expect(found.map((t) => t.txHash)).toEqual([at.txId, after.txId]);
    expect(listRequests()[0]!.query.min_timestamp).toBe(String(t0));
  });

  it('skips a transaction whose receipt is not SUCCESS', async () => {
    const reverted = fake.addTransfer({ contract: USDT, from: PAYER, to: DEPOSIT, value: 50n, blockNumber: 600, confirmed: true, receiptResult: 'REVERT' });
    const ok = fake.addTransfer({ contract: USDT, from: PAYER, to: DEPOSIT, value: 60n, blockNumber: 601, confirmed: true });

    const found = await source().transfersTo(USDT, DEPOSIT, 0, true, signal());

    expect(found).toEqual([expect.objectContaining({ txHash: ok.txId, amount: 60n })]);
    // It was looked up (TronGrid listed it), then dropped; its block was never asked for.
    expect(fake.requests.some((r) => r.path === '/wallet/gettransactioninfobyid' && (r.body as Json).value === reverted.txId)).toBe(true);
    expect(fake.requests.filter((r) => r.path === '/wallet/getblockbynum').map((r) => r.body)).toEqual([{ num: 601 }]);
  });

  it('skips an unconfirmed transfer the node does not know yet, but throws for a confirmed one', async () => {
    fake.addTransfer({ contract: USDT, from: PAYER, to: DEPOSIT, value: 1n, blockNumber: 700, confirmed: false });
    fake.addTransfer({ contract: USDT, from: PAYER, to: DEPOSIT, value: 2n, blockNumber: 690, confirmed: true });
    const unknownTx = (body: Json, path: string): unknown => (path === '/wallet/gettransactioninfobyid' ? {} : body);

    fake.tamperNext(2, unknownTx);
    await expect(source().transfersTo(USDT, DEPOSIT, 0, false, signal())).resolves.toEqual([]);

    fake.tamperNext(2, unknownTx);
    await expect(source().transfersTo(USDT, DEPOSIT, 0, true, signal())).rejects.toThrow(/gettransactioninfobyid does not know it/);
  });

  it('throws when the receipt has no Transfer log for a listed transfer, or its block is missing', async () => {
    const t = fake.addTransfer({ contract: USDT, from: PAYER, to: DEPOSIT, value: 77n, blockNumber: 800, confirmed: true });

    fake.tamperNext(2, (body, path) => (path === '/wallet/gettransactioninfobyid' ? { ...body, log: [] } : body));
    await expect(source().transfersTo(USDT, DEPOSIT, 0, true, signal())).rejects.toThrow(/no Transfer log/);

    // Same amount and parties but another contract's log: still no match.
    fake.tamperNext(2, (body, path) =>
      path === '/wallet/gettransactioninfobyid' ? { ...body, log: (body.log as Json[]).map((l) => ({ ...l, address: '5a'.repeat(20) })) } : body,
    );
    await expect(source().transfersTo(USDT, DEPOSIT, 0, true, signal())).rejects.toThrow(/no Transfer log/);

    fake.setBlockHash(t.blockNumber, null);
    await expect(source().transfersTo(USDT, DEPOSIT, 0, true, signal())).rejects.toThrow(/does not have block 800/);
  });
});

describe('garbage from TronGrid', () => {
  beforeEach(() => {
    fake.addTransfer({ contract: USDT, from: PAYER, to: DEPOSIT, value: 10n, blockNumber: 900, confirmed: true });
  });
  const firstRecord = (change: (record: Json) => Json) => (body: Json) => ({ ...body, data: (body.data as Json[]).map((r, i) => (i === 0 ? change(r) : r)) });
  const transfers = () => source().transfersTo(USDT, DEPOSIT, 0, true, signal());

  it.each<[string, (body: Json, path: string) => unknown, RegExp]>([
    ['data is not an array', (b) => ({ ...b, data: { 0: b.data } }), /data is not an array/],
    ['success is false', () => ({ success: false, error: 'boom', data: [] }), /refused .*boom/],
    ['value with a decimal point', firstRecord((r) => ({ ...r, value: '10.5' })), /value is not a decimal uint256 string/],
    ['value as a JSON number', firstRecord((r) => ({ ...r, value: 10 })), /value is not a decimal uint256 string/],
    ['value beyond uint256', firstRecord((r) => ({ ...r, value: (1n << 256n).toString() })), /value is not a decimal uint256 string/],
    ['to as 41… hex', firstRecord((r) => ({ ...r, to: TronWeb.address.toHex(DEPOSIT) })), /\.to is not a base58 TRON address/],
    ['from with a broken checksum', firstRecord((r) => ({ ...r, from: `${PAYER.slice(0, -1)}${PAYER.endsWith('1') ? '2' : '1'}` })), /\.from fails its base58check checksum/],
    ['token_info missing', firstRecord(({ token_info: _, ...r }) => r), /token_info is not a JSON object/],
    ['transaction_id not hex', firstRecord((r) => ({ ...r, transaction_id: 'zz' })), /transaction_id is not 64 hex/],
    ['block_timestamp as a string', firstRecord((r) => ({ ...r, block_timestamp: '1700000000000' })), /block_timestamp is not a non-negative integer/],
    ['meta.fingerprint not a string', (b) => ({ ...b, meta: { fingerprint: 5 } }), /meta.fingerprint is not a string/],
  ])('in the TRC20 list (%s) throws', async (_case, tamper, message) => {
    fake.tamperNext(1, tamper);
    const err = await transfers().then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(message);
    // An upstream fault, not bad client input (which the API would answer with a 400).
    expect(err).not.toBeInstanceOf(InvalidInputError);
  });

  const onPath = (path: string, change: (body: Json) => unknown) => (body: Json, p: string) => (p === path ? change(body) : body);
  it.each<[string, (body: Json, path: string) => unknown, RegExp]>([
    ['receipt for another id', onPath('/wallet/gettransactioninfobyid', (b) => ({ ...b, id: 'cd'.repeat(32) })), /answered for id/],
    ['blockNumber as a string', onPath('/wallet/gettransactioninfobyid', (b) => ({ ...b, blockNumber: '900' })), /blockNumber is not a non-negative integer/],
    ['log address with the 41 prefix', onPath('/wallet/gettransactioninfobyid', (b) => ({ ...b, log: (b.log as Json[]).map((l) => ({ ...l, address: `41${String(l.address)}` })) })), /address is not 20-byte hex/],
    ['topics not hex', onPath('/wallet/gettransactioninfobyid', (b) => ({ ...b, log: (b.log as Json[]).map((l) => ({ ...l, topics: ['0xnope'] })) })), /topics is not a list of 32-byte hex/],
    ['a java-tron Error', onPath('/wallet/gettransactioninfobyid', () => ({ Error: 'class java.lang.NullPointerException : null' })), /refused \/wallet\/gettransactioninfobyid: class java.lang.NullPointerException/],
    ['blockID of another block', onPath('/wallet/getblockbynum', (b) => ({ ...b, blockID: blockHashOf(901) })), /does not belong to block 900/],
    ['blockID not hex', onPath('/wallet/getblockbynum', (b) => ({ ...b, blockID: 'x'.repeat(64) })), /blockID is not 64 hex/],
  ])('in a receipt or block (%s) throws', async (_case, tamper, message) => {
    fake.tamperNext(3, tamper);
    await expect(transfers()).rejects.toThrow(message);
  });
});

describe('head and blockHashes', () => {
  it('reads the head block number', async () => {
    fake.setHead(12_345);
    expect(await source().head(signal())).toBe(12_345);
    expect(fake.requests).toEqual([expect.objectContaining({ method: 'POST', path: '/wallet/getnowblock' })]);
  });

  it('maps block numbers to their blockID, null for a block TronGrid does not have', async () => {
    fake.setHead(500);
    fake.setBlockHash(20, null); // pruned / unknown to the node
    const reorged = `${(30).toString(16).padStart(16, '0')}${'ef'.repeat(24)}`;
    fake.setBlockHash(30, reorged);

    const hashes = await source().blockHashes([10, 500, 501, 20, 30, 10], signal());

    expect(hashes).toEqual(
      new Map<number, string | null>([
        [10, blockHashOf(10)],
        [500, blockHashOf(500)],
        [501, null],
        [20, null],
        [30, reorged],
      ]),
    );
    expect(fake.requests.filter((r) => r.path === '/wallet/getblockbynum')).toHaveLength(5); // 10 asked once
  });

  it('refuses block numbers that are not non-negative integers', async () => {
    await expect(source().blockHashes([1, -1], signal())).rejects.toThrow(RangeError);
    await expect(source().blockHashes([1.5], signal())).rejects.toThrow(RangeError);
    expect(fake.requests).toHaveLength(0);
  });
});

describe('API key', () => {
  it('sends TRON-PRO-API-KEY on every request when configured', async () => {
    fake.addTransfer({ contract: USDT, from: PAYER, to: DEPOSIT, value: 1n, blockNumber: 10, confirmed: true });
    const tron = source({ apiKey: 'test-api-key' });
    await tron.head(signal());
    await tron.transfersTo(USDT, DEPOSIT, 0, true, signal());
    await tron.blockHashes([1], signal());

    expect(fake.requests.length).toBeGreaterThanOrEqual(5);
    for (const r of fake.requests) expect(r.headers['tron-pro-api-key']).toBe('test-api-key');
  });

  it('sends no key header when none is configured', async () => {
    fake.addTransfer({ contract: USDT, from: PAYER, to: DEPOSIT, value: 1n, blockNumber: 10, confirmed: true });
    const tron = source();
    await tron.head(signal());
    await tron.transfersTo(USDT, DEPOSIT, 0, true, signal());

    for (const r of fake.requests) expect(r.headers).not.toHaveProperty('tron-pro-api-key');
  });
});

describe('rate limiting and HTTP failures', () => {
  it('backs off 1 s, 2 s on HTTP 429 and then succeeds', async () => {
    fake.setHead(77);
    fake.failNext(2, 429);
    expect(await source().head(signal())).toBe(77);
    expect(sleeps).toEqual([1000, 2000]);
    expect(fake.requests).toHaveLength(3);
  });

  it('waits what Retry-After says (seconds or an HTTP-date)', async () => {
    fake.setHead(5);
    fake.failNext(1, 429, { retryAfter: 7 });
    expect(await source().head(signal())).toBe(5);
    expect(sleeps).toEqual([7000]);

    sleeps = [];
    fake.failNext(1, 429, { retryAfter: new Date(Date.now() + 20_000).toUTCString() });
    expect(await source().head(signal())).toBe(5);
    expect(sleeps).toHaveLength(1);
    expect(sleeps[0]).toBeGreaterThan(17_000); // the date has 1 s resolution, and time passes
    expect(sleeps[0]).toBeLessThanOrEqual(20_000);
  });

  it('retries a 429 in the middle of a transfer scan', async () => {
    const t = fake.addTransfer({ contract: USDT, from: PAYER, to: DEPOSIT, value: 3n, blockNumber: 40, confirmed: true });
    fake.failNext(1, 429, { retryAfter: 2 });
    expect(await source().transfersTo(USDT, DEPOSIT, 0, true, signal())).toEqual([expect.objectContaining({ txHash: t.txId })]);
    expect(sleeps).toEqual([2000]);
    expect(listRequests()).toHaveLength(2);
  });

  it('gives up with a rate-limit error after maxRetries retries', async () => {
    fake.failNext(3, 429);
    await expect(source({ maxRetries: 2 }).head(signal())).rejects.toThrow(/rate limited/);
    expect(sleeps).toEqual([1000, 2000]);
    expect(fake.requests).toHaveLength(3);
  });

  it('caps the exponential backoff, and defaults to 3 retries', async () => {
    fake.failNext(8, 429);
    await expect(source({ maxRetries: 7 }).head(signal())).rejects.toThrow(/rate limited/);
    expect(sleeps).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);

    sleeps = [];
    fake.failNext(10, 429);
    await expect(source().head(signal())).rejects.toThrow(/rate limited/);
    expect(sleeps).toEqual([1000, 2000, 4000]);
    fake.failNext(0);
  });

  it('does not sleep through a Retry-After longer than a minute', async () => {
    fake.failNext(1, 429, { retryAfter: 3600 });
    await expect(source().head(signal())).rejects.toThrow(/rate limited.*retry after 3600 s/);
    expect(sleeps).toEqual([]);
  });

  it('throws on any other non-2xx without retrying, and without naming the host', async () => {
    fake.failNext(1, 503);
    const err = await source().head(signal()).then(() => undefined, (e: unknown) => e);
    expect((err as Error).message).toMatch(/HTTP 503/);
    expect((err as Error).message).not.toContain(fake.url);
    expect(fake.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });
});

describe('abort', () => {
  it('makes no request with an already aborted signal', async () => {
    await expect(source().head(AbortSignal.abort(new Error('shutting down')))).rejects.toThrow('shutting down');
    expect(fake.requests).toHaveLength(0);
  });

  it('stops a request in flight', async () => {
    fake.addTransfer({ contract: USDT, from: PAYER, to: DEPOSIT, value: 1n, blockNumber: 10, confirmed: true });
    fake.delayNext(10, 10_000);
    const ctl = new AbortController();
    const started = Date.now();
    setTimeout(() => ctl.abort(new Error('deadline')), 100);
    await expect(source().transfersTo(USDT, DEPOSIT, 0, true, ctl.signal)).rejects.toThrow('deadline');
    expect(Date.now() - started).toBeLessThan(3000);
    fake.delayNext(0, 0);
  });

  it('stops a 429 backoff, with the real sleep or an injected one that ignores the signal', async () => {
    fake.failNext(1, 429, { retryAfter: 30 });
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(new Error('deadline')), 100);
    const started = Date.now();
    await expect(tronTransferSource(fake.url, {}).head(ctl.signal)).rejects.toThrow('deadline');
    expect(Date.now() - started).toBeLessThan(3000);

    fake.failNext(1, 429);
    const ctl2 = new AbortController();
    setTimeout(() => ctl2.abort(new Error('deadline 2')), 100);
    const never = (): Promise<void> => new Promise<void>(() => undefined);
    await expect(tronTransferSource(fake.url, { sleep: never }).head(ctl2.signal)).rejects.toThrow('deadline 2');
  });
});

function byJson(a: unknown, b: unknown): number {
  const [x, y] = [JSON.stringify(a), JSON.stringify(b)];
  return x < y ? -1 : x > y ? 1 : 0;
}
