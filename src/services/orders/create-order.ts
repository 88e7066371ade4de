import { createHash, randomUUID } from 'node:crypto';
import { AssetPurpose, Network, OrderStatus } from '../../entities/enums.js';
import { insertAudit } from '../audit/record-audit.js';
import { requireSiteId } from '../auth/actor.js';
import { addressWithNetwork } from '../chain/address.js';
import { InvalidInputError, isUniqueViolation } from '../errors.js';
import { isUuid } from '../ids.js';
import { fromBaseUnits, toPositiveBaseUnits } from '../money/amount.js';
import { PRICE_SCALE, formatDecimalColumn, priceFromColumn, tokensForPayment } from '../money/price.js';
import type { Scope } from '../scope.js';
import { allocateWallet } from '../wallets/allocate-wallet.js';
import { IdempotencyKeyReusedError, SaleNotOpenError } from './errors.js';
import { publishOrderChanged } from './order-events.js';
import { findOrder } from './find-order.js';
import type { OrderView } from './order-view.js';
import { newOrderReference } from './reference.js';
import { emitEvent } from '../notifications/emit.js';
import { orderData } from '../notifications/payloads.js';

export interface CreateOrderInput {
  network: Network;
  amount: string;
  payoutAddress: string;
  planId: string;
}

/** How long an Idempotency-Key names its order (the rule; Stripe keeps keys as long). */
export const IDEMPOTENCY_WINDOW_HOURS = 24;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** What an order is created against, read in one statement before the transaction. */
interface SaleTerms {
  token_price: string | null;
  min_order_amount: string | null;
  max_order_amount: string | null;
  order_ttl_minutes: number;
  pay_asset_id: string | null;
  pay_decimals: number | null;
  pay_confirmations: number | null;
  pay_symbol: string | null;
  pay_contract_address: string | null;
  pay_custody_asset_id: string | null;
  dist_asset_id: string | null;
  dist_decimals: number | null;
  plan_id: string | null;
}

function readSaleTerms(scope: Scope, siteId: string, payNetwork: Network, payoutNetwork: Network, planId: string): Promise<SaleTerms[]> {
  // The oldest active asset of a purpose and network is the one orders use: deterministic when an
  // admin adds a second one.
  return scope.deps.reads.rows<SaleTerms>(
    `select s.token_price, s.min_order_amount, s.max_order_amount, s.order_ttl_minutes,
       pa.id as pay_asset_id, pa.decimals as pay_decimals, pa.confirmations_required as pay_confirmations,
       pa.symbol as pay_symbol, pa.contract_address as pay_contract_address, pa.custody_asset_id as pay_custody_asset_id,
       da.id as dist_asset_id, da.decimals as dist_decimals, p.id as plan_id
     from site s
     left join lateral (select id, decimals, confirmations_required, symbol, contract_address, custody_asset_id from asset
       where site_id = ? and network = ? and purpose = 'PAYMENT' and active order by created_at, id limit 1) pa on true
     left join lateral (select id, decimals from asset
       where site_id = ? and network = ? and purpose = 'DISTRIBUTION' and active order by created_at, id limit 1) da on true
     left join vesting_plan p on p.site_id = ? and p.id = ?
     where s.id = ?`,
    [siteId, payNetwork, siteId, payoutNetwork, siteId, planId, siteId],
  );
}

/** Amount in payment base units against a NUMERIC(38,18) limit in whole units, exactly. */
function compareToLimit(amount: bigint, decimals: number, limitColumn: string): number {
  // Both sides at the finer of the two scales (an asset may have more than 18 decimals).
  const scale = Math.max(PRICE_SCALE, decimals);
  const a = amount * 10n ** BigInt(scale - decimals);
  const limit = priceFromColumn(limitColumn).units * 10n ** BigInt(scale - PRICE_SCALE);
  return a < limit ? -1 : a > limit ? 1 : 0;
}

/** The request as sent (payout address canonical): a retry with the same key must send the same. */
function requestHash(input: CreateOrderInput, payoutAddress: string): string {
  return createHash('sha256').update(JSON.stringify([input.network, input.amount, payoutAddress, input.planId])).digest('hex');
}

/**
 * A customer's order (domain.md, flow step 2): validates the input against the site's sale terms,
 * freezes price, plan and assets on the order, and takes a deposit wallet from the pool in the same
 * transaction as the order row, its audit entry and its event, so a refused or failed order leaves
 * nothing behind and two orders never share a wallet. With an Idempotency-Key, the same key and
 * request within 24 hours return the first order instead of making another one.
 */
export async function createOrder(scope: Scope, input: CreateOrderInput, opts: { idempotencyKey?: string | null } = {}): Promise<OrderView> {
  const siteId = requireSiteId(scope);
  const customerId = scope.actor!.userId; // the permission rule admits only signed-in customers
  const key = opts.idempotencyKey ?? null;
  if (key !== null && !IDEMPOTENCY_KEY.test(key)) throw new InvalidInputError('Idempotency-Key must be 1-255 printable ASCII characters', { field: 'Idempotency-Key' });
  if (!Object.values(Network).includes(input.network)) throw new InvalidInputError('network is not a supported network', { field: 'network' });
  if (!isUuid(input.planId)) throw new InvalidInputError('planId names no vesting plan of this site', { field: 'planId' });
  const payout = addressWithNetwork(input.payoutAddress, 'payoutAddress');

  // A retry returns the first answer even if the sale terms changed since.
  const hash = key === null ? null : requestHash(input, payout.address);

  const replay = async (): Promise<OrderView | null> => {
    if (key === null) return null;
    const [prior] = await scope.deps.reads.rows<{ id: string; idempotency_hash: string }>(
      `select id, idempotency_hash from payment_order
       where site_id = ? and customer_id = ? and idempotency_key = ? and created_at > now() - make_interval(hours => ?)`,
      [siteId, customerId, key, IDEMPOTENCY_WINDOW_HOURS],
    );
    if (!prior) return null;
    if (prior.idempotency_hash !== hash) throw new IdempotencyKeyReusedError();
    return findOrder(scope, prior.id);
  };

  const earlier = await replay();
  if (earlier) return earlier;

  const [terms] = await readSaleTerms(scope, siteId, input.network, payout.network, input.planId);
  if (!terms) throw new SaleNotOpenError('This site does not exist');
  if (!terms.token_price) throw new SaleNotOpenError('This site has no token price yet: orders open once it is set');
  if (!terms.pay_asset_id || terms.pay_decimals === null || terms.pay_confirmations === null) {
    throw new SaleNotOpenError(`This site takes no payments on ${input.network}`, { network: input.network });
  }
  if (!terms.dist_asset_id || terms.dist_decimals === null) {
    throw new InvalidInputError(`payoutAddress is a ${payout.network} address, and this site pays out no tokens on ${payout.network}`, { field: 'payoutAddress' });
  }
  if (!terms.plan_id) throw new InvalidInputError('planId names no vesting plan of this site', { field: 'planId' });

  const amount = toPositiveBaseUnits(input.amount, terms.pay_decimals, 'amount');
  if (terms.min_order_amount && compareToLimit(amount, terms.pay_decimals, terms.min_order_amount) < 0) {
    throw new InvalidInputError(`amount is below this site's minimum order of ${formatDecimalColumn(terms.min_order_amount, PRICE_SCALE)}`, { field: 'amount' });
  }
  if (terms.max_order_amount && compareToLimit(amount, terms.pay_decimals, terms.max_order_amount) > 0) {
    throw new InvalidInputError(`amount is above this site's maximum order of ${formatDecimalColumn(terms.max_order_amount, PRICE_SCALE)}`, { field: 'amount' });
  }
  const tokens = tokensForPayment(amount, terms.pay_decimals, priceFromColumn(terms.token_price), terms.dist_decimals);
  if (tokens === 0n) throw new InvalidInputError('amount buys less than the smallest unit of the token at the current price', { field: 'amount' });

  try {
    return await scope.em.transactional(async (tx) => {
      if (key !== null) {
        // A key older than the window is free again: it stops naming its old order.
        await tx.execute(
          `update payment_order set idempotency_key = null
           where site_id = ? and customer_id = ? and idempotency_key = ? and created_at <= now() - make_interval(hours => ?)`,
          [siteId, customerId, key, IDEMPOTENCY_WINDOW_HOURS],
        );
      }
      const orderId = randomUUID();
      const now = scope.deps.clock.now();
      const wallet = await allocateWallet(tx, siteId, input.network, orderId);
      const reference = newOrderReference();
      const expiresAt = new Date(now.getTime() + terms.order_ttl_minutes * 60_000);
      // Plain statements, not the unit of work: this is the hot path of a sale (docs/performance.md, Orders).
      await tx.execute(
        `insert into payment_order (id, site_id, reference, customer_id, status, network, asset_id, wallet_id, pay_to_address, amount_expected,
           amount_received, amount_confirmed, confirmations, confirmations_required, token_price, token_amount, distribution_asset_id,
           payout_address, plan_id, expires_at, idempotency_key, idempotency_hash, created_at, updated_at)
         values (?, ?, ?, ?, 'PENDING', ?, ?, ?, ?, ?, 0, 0, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        [
          orderId, siteId, reference, customerId, input.network, terms.pay_asset_id, wallet.id, wallet.address, amount.toString(),
          terms.pay_confirmations, terms.token_price, tokens.toString(), terms.dist_asset_id, payout.address, terms.plan_id, expiresAt, key, hash, now, now,
        ],
      );
      await insertAudit(tx, scope, {
        action: 'order.created',
        targetType: 'PaymentOrder',
        targetId: orderId,
        details: { reference, network: input.network, amountExpected: fromBaseUnits(amount, terms.pay_decimals!), walletId: wallet.id },
      });
      const view = newOrderView(terms, {
        id: orderId, siteId, reference, network: input.network, payToAddress: wallet.address, walletId: wallet.id,
        amountExpected: amount, tokenAmount: tokens, expiresAt, createdAt: now, customerId,
      });
      await emitEvent(tx, { siteId, type: 'order.created', data: orderData(view) });
      await publishOrderChanged(tx, scope.deps.events, siteId, orderId);
      return view;
    });
  } catch (e) {
    // Two requests with one key at once: the second waited on the first's row and lost the insert.
    if (key !== null && isUniqueViolation(e, 'payment_order_idempotency_unique')) {
      const first = await replay();
      if (first) return first;
    }
    throw e;
  }
}

/** The view of an order this request just wrote, without reading it back. */
function newOrderView(
  terms: SaleTerms,
  o: { id: string; siteId: string; reference: string; network: Network; payToAddress: string; walletId: string; amountExpected: bigint; tokenAmount: bigint; expiresAt: Date; createdAt: Date; customerId: string },
): OrderView {
  return {
    id: o.id,
    siteId: o.siteId,
    reference: o.reference,
    status: OrderStatus.PENDING,
    network: o.network,
    asset: {
      id: terms.pay_asset_id!,
      network: o.network,
      symbol: terms.pay_symbol!,
      decimals: terms.pay_decimals!,
      contractAddress: terms.pay_contract_address!,
      purpose: AssetPurpose.PAYMENT,
      custodyAssetId: terms.pay_custody_asset_id,
      confirmationsRequired: terms.pay_confirmations!,
      active: true,
    },
    payToAddress: o.payToAddress,
    walletId: o.walletId,
    amountExpected: o.amountExpected.toString(),
    amountReceived: '0',
    tokenAmount: o.tokenAmount.toString(),
    tokenDecimals: terms.dist_decimals!,
    confirmations: 0,
    confirmationsRequired: terms.pay_confirmations!,
    expiresAt: o.expiresAt,
    paidAt: null,
    createdAt: o.createdAt,
    updatedAt: o.createdAt,
    customerId: o.customerId,
  };
}
