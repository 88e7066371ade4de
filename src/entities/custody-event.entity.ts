import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TimestampProperty } from './columns.js';
import { Site } from './site.entity.js';
import { VestingRelease } from './vesting-release.entity.js';

/**
 * Every custody webhook that passed its signature check, stored once (unique provider + event key:
 * the event id, else transaction id + status), so a replay or a retry is recognised and applied at
 * most once. Events for transactions we do not know keep site and release empty and are audited.
 */
@Entity({ tableName: 'custody_event' })
@Unique({ name: 'custody_event_provider_key_unique', properties: ['provider', 'eventKey'] })
@Index({ name: 'custody_event_release_index', properties: ['release'] })
export class CustodyEvent {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text' })
  provider!: string;

  @Property({ type: 'text' })
  eventKey!: string;

  @Property({ type: 'text' })
  type!: string;

  @ManyToOne(() => Site, { nullable: true, deleteRule: 'restrict' })
  site: Site | null = null;

  @ManyToOne(() => VestingRelease, { nullable: true, deleteRule: 'restrict' })
  release: VestingRelease | null = null;

  @Property({ type: 'text', nullable: true })
  custodyTxId: string | null = null;

  @Property({ type: 'text', nullable: true })
  externalTxId: string | null = null;

  @Property({ type: 'text', nullable: true })
  status: string | null = null;

  /** What applying it did: released, failed, recorded, stale, unknown_transaction, ignored_type. */
  @Property({ type: 'text' })
  outcome!: string;

  @Property({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @TimestampProperty()
  receivedAt: Date = new Date();
}
