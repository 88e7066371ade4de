import { randomUUID } from 'node:crypto';
import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Asset } from './asset.entity.js';
import { AmountProperty, TimestampProperty } from './columns.js';
import { Network, OrderStatus } from './enums.js';
import { Site } from './site.entity.js';
import { SiteScoped } from './site-scope.js';
import { User } from './user.entity.js';
import { VestingPlan } from './vesting-plan.entity.js';
import { Wallet } from './wallet.entity.js';

/**
 * A customer's payment for tokens. Everything that decides what the customer gets (price, plan,
 * payment and distribution assets, token amount, confirmations required) is frozen here when the
 * order is created, so a later settings change never moves an order in flight. Amounts are base units.
 */
@Entity({ tableName: 'payment_order' })
@SiteScoped()
@Unique({ name: 'payment_order_site_reference_unique', properties: ['site', 'reference'] })
// The same Idempotency-Key of the same customer names one order (cleared after 24 hours, see create-order.ts).
@Unique({ name: 'payment_order_idempotency_unique', properties: ['customer', 'idempotencyKey'] })
// Lists page newest first by (created_at, id), per site and per customer (services/pagination.ts).
@Index({ name: 'payment_order_site_created_index', properties: ['site', 'createdAt', 'id'] })
@Index({ name: 'payment_order_customer_created_index', properties: ['site', 'customer', 'createdAt', 'id'] })
// The watcher and the expiry job only ever look at open orders: a partial index keeps that small.
@Index({ name: 'payment_order_open_index', properties: ['network', 'expiresAt'], where: "status in ('PENDING', 'CONFIRMING')" })
// `orders(filter: { search })` finds an order by its pay-to address.
@Index({ name: 'payment_order_site_pay_to_index', properties: ['site', 'payToAddress'] })
// A late transfer is matched to the last order that held its wallet.
@Index({ name: 'payment_order_wallet_index', properties: ['wallet', 'createdAt'] })
@Check({ name: 'payment_order_amounts', expression: 'amount_expected > 0 and amount_received >= 0 and amount_confirmed >= 0 and amount_confirmed <= amount_received and token_amount >= 0' })
@Check({ name: 'payment_order_paid_at', expression: "(status = 'PAID') = (paid_at is not null)" })
export class PaymentOrder {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Site, { deleteRule: 'restrict' })
  site!: Site;

  /** What the customer quotes to support; random, so it reveals nothing about volume. */
  @Property({ type: 'text' })
  reference!: string;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  customer!: User;

  @Enum({ items: () => OrderStatus, nativeEnumName: 'order_status' })
  status: OrderStatus = OrderStatus.PENDING;

  /** Network of the payment (and of `asset` and `wallet`). */
  @Enum({ items: () => Network, nativeEnumName: 'network' })
  network!: Network;

  /** The PAYMENT asset the customer pays in. */
  @ManyToOne(() => Asset, { deleteRule: 'restrict' })
  asset!: Asset;

  @ManyToOne(() => Wallet, { deleteRule: 'restrict' })
  wallet!: Wallet;

  @Property({ type: 'text' })
  payToAddress!: string;

  @AmountProperty()
  amountExpected!: string;

  /** Sum of the credited transfers not reorged away, confirmed or not. */
  @AmountProperty({ default: '0' })
  amountReceived: string = '0';

  /** Sum of the credited transfers with the required confirmations: what PAID is decided on. */
  @AmountProperty({ default: '0' })
  amountConfirmed: string = '0';

  /** Fewest confirmations among the credited transfers (0 while none). */
  @Property({ type: 'integer', default: 0 })
  confirmations: number = 0;

  @Property({ type: 'integer' })
  confirmationsRequired!: number;

  /** Frozen: the site's price (NUMERIC(38,18), payment units per token) at creation. */
  @Property({ type: 'decimal', precision: 38, scale: 18 })
  tokenPrice!: string;

  @AmountProperty()
  tokenAmount!: string;

  /** The DISTRIBUTION asset the tokens are paid out in, on the payout address's network. */
  @ManyToOne(() => Asset, { deleteRule: 'restrict' })
  distributionAsset!: Asset;

  @Property({ type: 'text' })
  payoutAddress!: string;

  @ManyToOne(() => VestingPlan, { deleteRule: 'restrict' })
  plan!: VestingPlan;

  @TimestampProperty()
  expiresAt!: Date;

  @TimestampProperty({ nullable: true })
  paidAt: Date | null = null;

  @Property({ type: 'text', nullable: true })
  idempotencyKey: string | null = null;

  /** SHA-256 of the request the key was first used with: the same key with another body is refused. */
  @Property({ type: 'text', nullable: true })
  idempotencyHash: string | null = null;

  @TimestampProperty()
  createdAt: Date = new Date();

  @TimestampProperty({ onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
