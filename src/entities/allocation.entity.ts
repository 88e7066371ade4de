import { randomUUID } from 'node:crypto';
import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Asset } from './asset.entity.js';
import { AmountProperty, TimestampProperty } from './columns.js';
import { AllocationStatus, Network } from './enums.js';
import { PaymentOrder } from './payment-order.entity.js';
import { Site } from './site.entity.js';
import { SiteScoped } from './site-scope.js';
import { User } from './user.entity.js';
import { VestingPlan } from './vesting-plan.entity.js';

/**
 * Tokens a beneficiary receives on a vesting schedule (its VestingRelease rows). Made exactly once per
 * PAID order, in the same transaction as the PAID transition. The plan's terms are copied here, so the
 * schedule stands on its own whatever happens to plans later.
 */
@Entity({ tableName: 'allocation' })
@SiteScoped()
@Unique({ name: 'allocation_order_unique', properties: ['order'] })
// Lists page newest first by (created_at, id), per site and per beneficiary (services/pagination.ts).
@Index({ name: 'allocation_site_created_index', properties: ['site', 'createdAt', 'id'] })
@Index({ name: 'allocation_beneficiary_created_index', properties: ['site', 'beneficiary', 'createdAt', 'id'] })
@Check({ name: 'allocation_amounts', expression: 'total_amount > 0 and released_amount >= 0 and released_amount <= total_amount' })
export class Allocation {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Site, { deleteRule: 'restrict' })
  site!: Site;

  @Enum({ items: () => AllocationStatus, nativeEnumName: 'allocation_status' })
  status: AllocationStatus = AllocationStatus.ACTIVE;

  @ManyToOne(() => User, { deleteRule: 'restrict' })
  beneficiary!: User;

  @ManyToOne(() => PaymentOrder, { nullable: true, deleteRule: 'restrict' })
  order: PaymentOrder | null = null;

  @Enum({ items: () => Network, nativeEnumName: 'network' })
  payoutNetwork!: Network;

  @Property({ type: 'text' })
  payoutAddress!: string;

  /** The DISTRIBUTION asset the releases are paid in. */
  @ManyToOne(() => Asset, { deleteRule: 'restrict' })
  asset!: Asset;

  @AmountProperty()
  totalAmount!: string;

  /** Sum of RELEASED releases, kept by the payout settlement. */
  @AmountProperty({ default: '0' })
  releasedAmount: string = '0';

  @ManyToOne(() => VestingPlan, { deleteRule: 'restrict' })
  plan!: VestingPlan;

  @Property({ type: 'integer' })
  tgeBps!: number;

  @Property({ type: 'integer' })
  cliffDays!: number;

  @Property({ type: 'integer' })
  periods!: number;

  @Property({ type: 'integer' })
  periodDays!: number;

  @TimestampProperty()
  startAt!: Date;

  @TimestampProperty()
  createdAt: Date = new Date();

  @TimestampProperty({ onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
