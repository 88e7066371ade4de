import { randomUUID } from 'node:crypto';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TimestampProperty } from './columns.js';
import { EmailDeliveryStatus } from './enums.js';
import { Site } from './site.entity.js';
import { SiteScoped } from './site-scope.js';
import { NotificationEvent } from './webhook.entity.js';

/**
 * The customer e-mail an outbox event asks for (order paid, expired, underpaid; release paid out),
 * written in the event's transaction with the recipient as the event's customer had it then, and sent
 * until accepted by the SMTP server or its retry schedule runs out.
 */
@Entity({ tableName: 'email_delivery' })
@SiteScoped()
@Unique({ name: 'email_delivery_event_unique', properties: ['event'] })
@Index({ name: 'email_delivery_due_index', properties: ['nextAttemptAt'], where: "status = 'PENDING'" })
export class EmailDelivery {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Site, { deleteRule: 'restrict' })
  site!: Site;

  @ManyToOne(() => NotificationEvent, { deleteRule: 'restrict' })
  event!: NotificationEvent;

  @Property({ type: 'text' })
  eventType!: string;

  @Property({ type: 'text' })
  recipient!: string;

  @Enum({ items: () => EmailDeliveryStatus, nativeEnumName: 'email_delivery_status' })
  status: EmailDeliveryStatus = EmailDeliveryStatus.PENDING;

  @Property({ type: 'integer' })
  attempts: number = 0;

  /** The last failure as the mailer put it: server and reply, never the credentials or the recipient. */
  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @TimestampProperty({ nullable: true })
  nextAttemptAt: Date | null = null;

  /** A worker holds the e-mail until then; a worker that dies lets it go at that time. */
  @TimestampProperty({ nullable: true })
  claimedUntil: Date | null = null;

  @TimestampProperty({ nullable: true })
  sentAt: Date | null = null;

  @TimestampProperty()
  createdAt: Date = new Date();

  @TimestampProperty({ onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
