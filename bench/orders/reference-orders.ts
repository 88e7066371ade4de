/**
 * What the reference servers do for the orders bench (bench/orders.ts), through a `pg` Pool, with no
 * ORM, no GraphQL execution and no authentication (the caller's site and user ids are given):
 *
 * - `readOrders`: a site's orders, newest first, one SQL statement, mapped to exactly the values of
 *   Vestline's `orders(first: n)` for the bench's selection (same field order, cursor and number
 *   formats). Used by the bare server (`POST /orders/<siteId>`) and the plain Apollo server.
 * - `createOrderBare`: the bare server's `POST /create-order/<siteId>/<customerId>`: reads the site's
 *   sale terms with Vestline's statement, then runs the transaction Vestline's createOrder runs (begin;
 *   the same allocate UPDATE … FOR UPDATE SKIP LOCKED; insert the payment_order row; insert the
 *   audit_entry row; pg_notify on Vestline's channel with Vestline's envelope; commit) and answers the
 *   bench's createOrder selection as JSON. Input checks are the arithmetic ones only (amount scale and
 *   limits, tokens > 0); the payout address is taken as given (Vestline verifies its checksum).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type pg from 'pg';
import { encodeCursor, fromBaseUnits, MAX_PAGE_SIZE, type Page } from '../reference-queries.js';

/** Same as src/deps.ts EVENT_CHANNEL and src/services/orders/order-events.ts ORDER_CHANGED. */
export const EVENT_CHANNEL = 'vestline_events';
const ORDER_CHANGED = 'ORDER_CHANGED';

// ---------------------------------------------------------------------------------------------------
// orders(first: n)

/** The node of the bench's list selection, in its field order. */
export interface OrderListNode {
  id: string;
  reference: string;
  status: string;
  network: string;
  payToAddress: string;
  amountExpected: string;
  amountReceived: string;
  tokenAmount: string;
  createdAt: Date;
  asset: { symbol: string; decimals: number };
}

/** The query every server answers for the list row (sent unchanged, the same bytes, to all three). */
export const ORDERS_QUERY =
  'query { orders(first: 50) { edges { node { id reference status network payToAddress amountExpected amountReceived tokenAmount createdAt asset { symbol decimals } } cursor } pageInfo { hasNextPage endCursor } } }';

// Newest first over (created_at, id), one row more than the page to know whether there is a next one;
// the payment asset for its symbol and decimals, the distribution asset for the decimals tokenAmount is in.
const ORDERS_SQL = `select o.id, o.reference, o.status, o.network, o.pay_to_address, o.amount_expected, o.amount_received, o.token_amount, o.created_at,
    a.symbol, a.decimals, d.decimals as token_decimals
  from payment_order o join asset a on a.id = o.asset_id join asset d on d.id = o.distribution_asset_id
  where o.site_id = $1 order by o.created_at desc, o.id desc limit $2`;

interface OrderListRow {
  id: string;
  reference: string;
  status: string;
  network: string;
  pay_to_address: string;
  amount_expected: string;
  amount_received: string;
  token_amount: string;
  created_at: Date;
  symbol: string;
  decimals: number;
  token_decimals: number;
}

export async function readOrders(pool: pg.Pool, siteId: string, first: number): Promise<Page<OrderListNode>> {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw new Error(`first must be between 1 and ${MAX_PAGE_SIZE}`);
  const { rows } = await pool.query<OrderListRow>(ORDERS_SQL, [siteId, first + 1]);
  const edges = rows.slice(0, first).map((r) => ({
    node: {
      id: r.id,
      reference: r.reference,
      status: r.status,
      network: r.network,
      payToAddress: r.pay_to_address,
      // Amounts are base units; the API shows them in the asset's decimals (toPaymentOrderType).
      amountExpected: fromBaseUnits(r.amount_expected, r.decimals),
      amountReceived: fromBaseUnits(r.amount_received, r.decimals),
      tokenAmount: fromBaseUnits(r.token_amount, r.token_decimals),
      createdAt: r.created_at,
      asset: { symbol: r.symbol, decimals: r.decimals },
    },
    cursor: encodeCursor(r.created_at, r.id),
  }));
  return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
}

// ---------------------------------------------------------------------------------------------------
// createOrder

/** The mutation every createOrder request sends (with CREATE_ORDER_VARIABLES), to Vestline and to the bare server. */
export const CREATE_ORDER_MUTATION =
  'mutation($i: CreateOrderInput!) { createOrder(input: $i) { id reference status network payToAddress amountExpected tokenAmount expiresAt createdAt asset { symbol decimals } } }';

export interface CreateOrderInput {
  network: string;
  amount: string;
  payoutAddress: string;
  planId: string;
}

/** The bench's createOrder answer, in the selection's field order. */
export interface CreatedOrderNode {
  id: string;
  reference: string;
  status: string;
  network: string;
  payToAddress: string;
  amountExpected: string;
  tokenAmount: string;
  expiresAt: Date;
  createdAt: Date;
  asset: { symbol: string; decimals: number };
}

/** Vestline's readSaleTerms (src/services/orders/create-order.ts), `?` numbered. */
const SALE_TERMS_SQL = `select s.token_price, s.min_order_amount, s.max_order_amount, s.order_ttl_minutes,
       pa.id as pay_asset_id, pa.decimals as pay_decimals, pa.confirmations_required as pay_confirmations,
       pa.symbol as pay_symbol, pa.contract_address as pay_contract_address, pa.custody_asset_id as pay_custody_asset_id,
       da.id as dist_asset_id, da.decimals as dist_decimals, p.id as plan_id
     from site s
     left join lateral (select id, decimals, confirmations_required, symbol, contract_address, custody_asset_id from asset
       where site_id = $1 and network = $2 and purpose = 'PAYMENT' and active order by created_at, id limit 1) pa on true
     left join lateral (select id, decimals from asset
       where site_id = $3 and network = $4 and purpose = 'DISTRIBUTION' and active order by created_at, id limit 1) da on true
     left join vesting_plan p on p.site_id = $5 and p.id = $6
     where s.id = $7`;

interface SaleTerms {
  token_price: string | null;
  min_order_amount: string | null;
  max_order_amount: string | null;
  order_ttl_minutes: number;
  pay_asset_id: string | null;
  pay_decimals: number | null;
  pay_confirmations: number | null;
  pay_symbol: string | null;
  dist_asset_id: string | null;
  dist_decimals: number | null;
  plan_id: string | null;
}

/** Vestline's allocateWallet statement (src/services/wallets/allocate-wallet.ts), `?` numbered. */
const ALLOCATE_SQL = `update wallet set status = 'ALLOCATED', current_order_id = $1, updated_at = now()
     where site_id = $2 and id = (
       select id from wallet
       where site_id = $3 and network = $4 and status = 'AVAILABLE'
       order by updated_at, id
       limit 1
       for update skip locked
     )
     returning id, address`;

const INSERT_ORDER_SQL = `insert into payment_order (id, site_id, reference, customer_id, status, network, asset_id, wallet_id, pay_to_address,
    amount_expected, amount_received, amount_confirmed, confirmations, confirmations_required, token_price, token_amount,
    distribution_asset_id, payout_address, plan_id, expires_at, paid_at, idempotency_key, idempotency_hash, created_at, updated_at)
  values ($1, $2, $3, $4, 'PENDING', $5, $6, $7, $8, $9, 0, 0, 0, $10, $11, $12, $13, $14, $15, $16, null, null, null, $17, $17)`;

const INSERT_AUDIT_SQL = `insert into audit_entry (id, site_id, actor_id, action, target_type, target_id, details, ip, at)
  values ($1, $2, $3, 'order.created', 'PaymentOrder', $4, $5, $6, $7)`;

const NOTIFY_SQL = 'select pg_notify($1, $2)';

/** Base units of a NUMERIC(…, scale) text or an input decimal; null when it is no plain decimal or has too many fractional digits. */
function units(value: string, scale: number): bigint | null {
  const m = /^(\d+)(?:\.(\d+))?$/.exec(value);
  if (!m) return null;
  const fraction = (m[2] ?? '').replace(/0+$/, '');
  if (fraction.length > scale) return null;
  return BigInt(m[1]!) * 10n ** BigInt(scale) + BigInt(fraction.padEnd(scale, '0') || '0');
}

const PRICE_SCALE = 18;
/** Crockford base32, as src/services/orders/reference.ts. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

function newOrderReference(): string {
  let s = '';
  for (const b of randomBytes(12)) s += ALPHABET[b & 31];
  return `VL-${s}`;
}

export interface BareAnswer {
  status: number;
  body: unknown;
}

const refuse = (status: number, message: string): BareAnswer => ({ status, body: { errors: [{ message }] } });

export async function createOrderBare(pool: pg.Pool, siteId: string, customerId: string, ip: string | null, requestBody: string): Promise<BareAnswer> {
  let input: CreateOrderInput;
  try {
    input = (JSON.parse(requestBody) as { variables: { i: CreateOrderInput } }).variables.i;
  } catch {
    return refuse(400, 'body must be JSON with variables.i');
  }
  const payoutNetwork = input.payoutAddress.startsWith('0x') ? 'ETHEREUM' : 'TRON';
  const { rows } = await pool.query<SaleTerms>(SALE_TERMS_SQL, [siteId, input.network, siteId, payoutNetwork, siteId, input.planId, siteId]);
  const t = rows[0];
  if (!t?.token_price || !t.pay_asset_id || t.pay_decimals === null || t.pay_confirmations === null || !t.dist_asset_id || t.dist_decimals === null || !t.plan_id) {
    return refuse(409, 'sale not open');
  }
  const amount = units(input.amount, t.pay_decimals);
  if (amount === null || amount === 0n) return refuse(400, 'bad amount');
  const scaled = amount * 10n ** BigInt(PRICE_SCALE - t.pay_decimals);
  if (t.min_order_amount !== null && scaled < units(t.min_order_amount, PRICE_SCALE)!) return refuse(400, 'amount below minimum');
  if (t.max_order_amount !== null && scaled > units(t.max_order_amount, PRICE_SCALE)!) return refuse(400, 'amount above maximum');
  const price = units(t.token_price, PRICE_SCALE)!;
  const tokens = (amount * 10n ** BigInt(t.dist_decimals) * 10n ** BigInt(PRICE_SCALE)) / (price * 10n ** BigInt(t.pay_decimals));
  if (tokens === 0n) return refuse(400, 'amount buys no token');

  const orderId = randomUUID();
  const reference = newOrderReference();
  const now = new Date();
  const expiresAt = new Date(now.getTime() + t.order_ttl_minutes * 60_000);
  const amountText = fromBaseUnits(amount.toString(), t.pay_decimals);
  const client = await pool.connect();
  let wallet: { id: string; address: string } | undefined;
  try {
    await client.query('begin');
    wallet = (await client.query<{ id: string; address: string }>(ALLOCATE_SQL, [orderId, siteId, siteId, input.network])).rows[0];
    if (!wallet) {
      await client.query('rollback');
      return refuse(409, `pool exhausted: no AVAILABLE ${input.network} wallet`);
    }
    await client.query(INSERT_ORDER_SQL, [
      orderId,
      siteId,
      reference,
      customerId,
      input.network,
      t.pay_asset_id,
      wallet.id,
      wallet.address,
      amount.toString(),
      t.pay_confirmations,
      t.token_price,
      tokens.toString(),
      t.dist_asset_id,
      input.payoutAddress,
      t.plan_id,
      expiresAt,
      now,
    ]);
    const details = JSON.stringify({ reference, network: input.network, amountExpected: amountText, walletId: wallet.id });
    await client.query(INSERT_AUDIT_SQL, [randomUUID(), siteId, customerId, orderId, details, ip, now]);
    await client.query(NOTIFY_SQL, [EVENT_CHANNEL, JSON.stringify({ topic: ORDER_CHANGED, id: siteId, payload: { orderId } })]);
    await client.query('commit');
  } catch (e) {
    await client.query('rollback').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
  const node: CreatedOrderNode = {
    id: orderId,
    reference,
    status: 'PENDING',
    network: input.network,
    payToAddress: wallet.address,
    amountExpected: amountText,
    tokenAmount: fromBaseUnits(tokens.toString(), t.dist_decimals),
    expiresAt,
    createdAt: now,
    asset: { symbol: t.pay_symbol!, decimals: t.pay_decimals },
  };
  return { status: 200, body: { data: { createOrder: node } } };
}
