import { Contract, JsonRpcProvider, Wallet, type ContractTransactionResponse } from 'ethers';
import pg from 'pg';
import type { Config } from '../config.js';
import { Network, OrderStatus } from '../entities/enums.js';
import { fromBaseUnits, toPositiveBaseUnits } from '../services/money/amount.js';
import { ANVIL_CHAIN_ID, ANVIL_DEFAULT_PRIVATE_KEY, loadTestTokenArtifact } from './anvil.js';
import { isAlive, readDevChainRuntime } from './dev-chain.js';

/** A refusal of `npm run dev:pay`, with the reason for the person who ran it. */
export class DevPayError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DevPayError';
  }
}

export interface DevPayInput {
  /** The order's reference, e.g. VL-7K2M9QX4D1BA (case does not matter). */
  reference: string;
  /** Decimal amount in the payment asset, e.g. "12.5"; default: what the order still expects. */
  amount?: string;
  /** Pause between the blocks mined for confirmations, so each step shows (default 1000 ms). */
  blockIntervalMs?: number;
  /** Progress lines for a person at a terminal. */
  onProgress?: (line: string) => void;
}

export interface DevPayResult {
  reference: string;
  site: string;
  payToAddress: string;
  /** What was sent, in whole units ("100"); "0" when only confirmations were mined. */
  amount: string;
  symbol: string;
  /** The transfer's hash; null when nothing was sent (the order had everything and only waited for blocks). */
  txHash: string | null;
  /** Blocks mined after the transfer so it reaches the order's confirmations. */
  minedBlocks: number;
}

interface OrderRow {
  id: string;
  reference: string;
  status: OrderStatus;
  network: Network;
  pay_to_address: string;
  amount_expected: string;
  amount_received: string;
  confirmations_required: number;
  contract_address: string;
  decimals: number;
  symbol: string;
  site_slug: string;
}

async function connectDatabase(databaseUrl: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (e) {
    throw new DevPayError(`cannot reach the database (${(e as Error).message}): is Vestline running?`);
  }
  return client;
}

async function findOrders(db: pg.Client, reference: string): Promise<OrderRow[]> {
  const { rows } = await db.query<OrderRow>(
    // all-sites: a development tool that finds an order by the reference a person typed, in any site.
    `select o.id, o.reference, o.status, o.network, o.pay_to_address, o.amount_expected::text, o.amount_received::text, o.confirmations_required,
       a.contract_address, a.decimals, a.symbol, s.slug as site_slug
     from payment_order o join asset a on a.id = o.asset_id join site s on s.id = o.site_id
     where o.reference = $1`,
    [reference],
  );
  return rows;
}

/** The order as the deposit watcher left it. */
async function progress(db: pg.Client, id: string): Promise<{ status: OrderStatus; amount_received: string }> {
  const { rows } = await db.query<{ status: OrderStatus; amount_received: string }>(
    // all-sites: the order found above by id (its primary key).
    'select status, amount_received::text from payment_order where id = $1',
    [id],
  );
  return rows[0]!;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * `npm run dev:pay -- <reference> [amount]`: pays an order on the development chain. Finds the order
 * by its reference in the database, sends the test USDT from anvil's funded dev account (minting first
 * when it runs short) to the order's pay-to address, waits for the deposit watcher to credit it, then
 * mines blocks one at a time up to the order's confirmations (the dev chain mines only on
 * transactions), so the order goes CONFIRMING and then PAID while its subscription watches. Refuses
 * unless DEV_CHAIN=anvil and the chain runs.
 */
export async function devPay(config: Config, input: DevPayInput): Promise<DevPayResult> {
  if (config.DEV_CHAIN !== 'anvil') {
    throw new DevPayError('DEV_CHAIN is off here, and this tool pays on the local development chain only (DEV_CHAIN=anvil, the development default when ETH_RPC_URL is unset). Pay from a real wallet instead.');
  }
  const runtime = readDevChainRuntime(config.DEV_CHAIN_DIR);
  if (!runtime || !isAlive(runtime.appPid) || !isAlive(runtime.anvilPid)) {
    throw new DevPayError(`the development chain is not running (nothing live in ${config.DEV_CHAIN_DIR}/runtime.json): start Vestline with \`npm start\` first, with the same DEV_CHAIN_DIR`);
  }
  const databaseUrl = config.DATABASE_URL ?? runtime.databaseUrl;
  if (!databaseUrl) throw new DevPayError('no database: the running Vestline has not published its embedded database yet (still starting?), and DATABASE_URL is unset');

  const reference = input.reference.trim().toUpperCase();
  if (!reference) throw new DevPayError('give the order reference, e.g. npm run dev:pay -- VL-7K2M9QX4D1BA');
  const db = await connectDatabase(databaseUrl);
  try {
    return await pay(config, db, runtime.rpcUrl, reference, input);
  } finally {
    await db.end().catch(() => undefined);
  }
}

async function pay(config: Config, db: pg.Client, rpcUrl: string, reference: string, input: DevPayInput): Promise<DevPayResult> {
  const say = input.onProgress ?? (() => undefined);
  const rows = await findOrders(db, reference);
  if (!rows.length) throw new DevPayError(`no order with reference ${reference}`);
  if (rows.length > 1) throw new DevPayError(`reference ${reference} names ${rows.length} orders (sites ${rows.map((r) => r.site_slug).join(', ')}); references are unique per site only`);
  const order = rows[0]!;
  if (order.network !== Network.ETHEREUM) throw new DevPayError(`order ${reference} is paid on ${order.network}; the development chain is Ethereum only`);
  if (order.status !== OrderStatus.PENDING && order.status !== OrderStatus.CONFIRMING) {
    throw new DevPayError(`order ${reference} is ${order.status}: only PENDING or CONFIRMING orders take payments`);
  }

  const due = BigInt(order.amount_expected) - BigInt(order.amount_received);
  const amount = input.amount !== undefined ? toPositiveBaseUnits(input.amount, order.decimals, 'amount') : due > 0n ? due : 0n;

  const provider = new JsonRpcProvider(rpcUrl, ANVIL_CHAIN_ID, { staticNetwork: true, cacheTimeout: -1, pollingInterval: 100 });
  try {
    const payer = new Wallet(ANVIL_DEFAULT_PRIVATE_KEY, provider);
    if ((await provider.getCode(order.contract_address)) === '0x') {
      throw new DevPayError(`the order's payment asset ${order.symbol} (${order.contract_address}) is not a contract on the development chain (${rpcUrl})`);
    }
    const token = new Contract(order.contract_address, loadTestTokenArtifact().abi, payer);
    const send = async (what: string, tx: Promise<unknown>) => {
      const receipt = await ((await tx) as ContractTransactionResponse).wait();
      if (!receipt || receipt.status !== 1) throw new DevPayError(`${what} failed`);
      return receipt;
    };

    let txHash: string | null = null;
    let block = await provider.getBlockNumber();
    if (amount > 0n) {
      const balance = (await token.getFunction('balanceOf')(payer.address)) as bigint;
      if (balance < amount) {
        say(`minting ${fromBaseUnits(amount - balance, order.decimals)} ${order.symbol} to the dev account ${payer.address}`);
        await send('mint', token.getFunction('mint')(payer.address, amount - balance));
      }
      const receipt = await send('transfer', token.getFunction('transfer')(order.pay_to_address, amount));
      txHash = receipt.hash;
      block = receipt.blockNumber;
      say(`sent ${fromBaseUnits(amount, order.decimals)} ${order.symbol} to ${order.pay_to_address} for ${reference} (site ${order.site_slug})`);
      say(`tx ${receipt.hash} in block ${receipt.blockNumber}`);
      // Mine the confirmations only once the watcher has credited the transfer, so the order shows
      // CONFIRMING first (a transfer first seen deep enough goes straight to PAID).
      const before = BigInt(order.amount_received);
      const patience = Date.now() + Math.max(10_000, 3 * config.DEPOSIT_POLL_INTERVAL_MS);
      let now = await progress(db, order.id);
      while (BigInt(now.amount_received) === before && (now.status === OrderStatus.PENDING || now.status === OrderStatus.CONFIRMING) && Date.now() < patience) {
        await sleep(100);
        now = await progress(db, order.id);
      }
      say(BigInt(now.amount_received) === before ? 'the deposit watcher has not credited it yet; mining the confirmations anyway' : `order ${reference} is ${now.status}, ${fromBaseUnits(now.amount_received, order.decimals)} ${order.symbol} received`);
    } else {
      say(`order ${reference} has received everything it expects; mining its confirmations`);
    }

    // The transfer's block is its first confirmation; the dev chain mines only on transactions.
    const target = block + Math.max(1, order.confirmations_required) - 1;
    let mined = 0;
    for (let head = await provider.getBlockNumber(); head < target; head = await provider.getBlockNumber()) {
      await sleep(input.blockIntervalMs ?? 1000);
      await provider.send('anvil_mine', ['0x1']);
      mined++;
      say(`mined block ${head + 1} (confirmation ${head + 2 - block} of ${order.confirmations_required})`);
    }
    return { reference, site: order.site_slug, payToAddress: order.pay_to_address, amount: fromBaseUnits(amount, order.decimals), symbol: order.symbol, txHash, minedBlocks: mined };
  } finally {
    provider.destroy();
  }
}
