import { randomUUID } from 'node:crypto';
import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Allocation } from './allocation.entity.js';
import { AmountProperty, TimestampProperty } from './columns.js';
import { ReleaseStatus } from './enums.js';
import { Site } from './site.entity.js';
import { SiteScoped } from './site-scope.js';

/** One unlock of an allocation's schedule, paid out through custody once UNLOCKED. */
@Entity({ tableName: 'vesting_release' })
@SiteScoped()
@Unique({ name: 'vesting_release_allocation_index_unique', properties: ['allocation', 'index'] })
@Unique({ name: 'vesting_release_external_tx_id_unique', properties: ['externalTxId'] })
// custody-key.ts: a key of more than 40 characters could not be sent.
@Check({ name: 'vesting_release_custody_attempt_range', expression: 'custody_attempt >= 0 and custody_attempt <= 999' })
// The unlock job only looks at LOCKED releases that are due.
@Index({ name: 'vesting_release_due_index', properties: ['unlockAt'], where: "status = 'LOCKED'" })
// The reconcile job looks at releases PROCESSING for too long.
@Index({ name: 'vesting_release_processing_index', properties: ['processingSince'], where: "status = 'PROCESSING'" })
// Lists page by (unlock_at, id) per site (services/pagination.ts).
@Index({ name: 'vesting_release_site_unlock_index', properties: ['site', 'unlockAt', 'id'] })
@Check({ name: 'vesting_release_amount_positive', expression: 'amount > 0' })
@Check({ name: 'vesting_release_external_tx_id_length', expression: 'length(external_tx_id) <= 40' })
export class VestingRelease {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Site, { deleteRule: 'restrict' })
  site!: Site;

  @ManyToOne(() => Allocation, { deleteRule: 'restrict' })
  allocation!: Allocation;

  /** 0-based position in the allocation's schedule. */
  @Property({ type: 'integer' })
  index!: number;

  @AmountProperty()
  amount!: string;

  @TimestampProperty()
  unlockAt!: Date;

  @Enum({ items: () => ReleaseStatus, nativeEnumName: 'release_status' })
  status: ReleaseStatus = ReleaseStatus.LOCKED;

  /** The release's custody key, stable across retries; derived from the id (<= 40 characters). */
  @Property({ type: 'text' })
  externalTxId!: string;

  /**
   * Which custody transaction of this release is current: 0 for the first, one more per retryRelease.
   * Fireblocks refuses a used externalTxId forever, so attempt n > 0 goes out under its own key
   * (services/payouts/custody-key.ts); the release keeps its externalTxId.
   */
  @Property({ type: 'integer', default: 0 })
  custodyAttempt: number = 0;

  @Property({ type: 'text', nullable: true })
  custodyTxId: string | null = null;

  @Property({ type: 'text', nullable: true })
  txHash: string | null = null;

  @Property({ type: 'text', nullable: true })
  failureReason: string | null = null;

  @TimestampProperty({ nullable: true })
  releasedAt: Date | null = null;

  /** When it went PROCESSING: the reconcile job looks up releases PROCESSING for too long. */
  @TimestampProperty({ nullable: true })
  processingSince: Date | null = null;

  /** The last status custody reported for its transaction (intermediate ones included). */
  @Property({ type: 'text', nullable: true })
  custodyStatus: string | null = null;

  @TimestampProperty()
  createdAt: Date = new Date();

  @TimestampProperty({ onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
