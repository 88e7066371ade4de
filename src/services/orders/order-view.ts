import { asDate, asDateOrNull } from '../../db/plain-reads.js';
import type { Network, OrderStatus } from '../../entities/enums.js';
import { ASSET_COLUMNS, assetView, type AssetRow, type AssetView } from '../assets/asset-view.js';
import { Role } from '../../entities/role.js';
import type { Actor } from '../auth/actor.js';
import type { SqlFragment } from '../db/transition.js';

/** An order as reads return it (plain row, amounts in base units) and as events re-read it. */
export interface OrderView {
  id: string;
  siteId: string;
  reference: string;
  status: OrderStatus;
  network: Network;
  /** The payment asset. */
  asset: AssetView;
  payToAddress: string;
  walletId: string;
  amountExpected: string;
  amountReceived: string;
  tokenAmount: string;
  /** Decimals of the distribution asset, which `tokenAmount` is counted in. */
  tokenDecimals: number;
  confirmations: number;
  confirmationsRequired: number;
  expiresAt: Date;
  paidAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
  customerId: string;
}

/** FROM clause of every order read: the order `o` with its payment asset `a` and distribution asset `d`. */
export const ORDER_FROM = 'payment_order o join asset a on a.id = o.asset_id join asset d on d.id = o.distribution_asset_id';

export const ORDER_COLUMNS = `o.id, o.site_id, o.reference, o.status, o.network, o.pay_to_address, o.wallet_id, o.amount_expected, o.amount_received,
  o.token_amount, d.decimals as token_decimals, o.confirmations, o.confirmations_required, o.expires_at, o.paid_at, o.created_at, o.updated_at,
  o.customer_id, ${ASSET_COLUMNS}`;

export interface OrderRow extends AssetRow {
  id: string;
  site_id: string;
  reference: string;
  status: OrderStatus;
  network: Network;
  pay_to_address: string;
  wallet_id: string;
  amount_expected: string;
  amount_received: string;
  token_amount: string;
  token_decimals: number;
  confirmations: number;
  confirmations_required: number;
  expires_at: Date | string;
  paid_at: Date | string | null;
  created_at: Date | string;
  updated_at: Date | string;
  customer_id: string;
}

export function orderView(r: OrderRow): OrderView {
  return {
    id: r.id,
    siteId: r.site_id,
    reference: r.reference,
    status: r.status,
    network: r.network,
    asset: assetView(r),
    payToAddress: r.pay_to_address,
    walletId: r.wallet_id,
    amountExpected: r.amount_expected,
    amountReceived: r.amount_received,
    tokenAmount: r.token_amount,
    tokenDecimals: r.token_decimals,
    confirmations: r.confirmations,
    confirmationsRequired: r.confirmations_required,
    expiresAt: asDate(r.expires_at),
    paidAt: asDateOrNull(r.paid_at),
    createdAt: asDate(r.created_at),
    updatedAt: asDate(r.updated_at),
    customerId: r.customer_id,
  };
}

/**
 * Which of a site's orders the actor may see (domain.md, Permissions): a CUSTOMER only its own, staff
 * all of the site's. Every order read adds this to its site condition.
 */
export function visibleOrders(actor: Actor | null): SqlFragment[] {
  if (!actor) return [{ sql: 'false' }];
  return actor.role === Role.CUSTOMER ? [{ sql: 'o.customer_id = ?', params: [actor.userId] }] : [];
}
