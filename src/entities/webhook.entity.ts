import { randomUUID } from 'node:crypto';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TimestampProperty } from './columns.js';
import { WebhookDeliveryStatus } from './enums.js';
import { Site } from './site.entity.js';
import { SiteScoped } from './site-scope.js';

/** A merchant's endpoint for signed event notifications. Its secret is sealed (services/secrets). */
@Entity({ tableName: 'webhook_endpoint' })
@SiteScoped()
@Index({ name: 'webhook_endpoint_site_index', properties: ['site', 'createdAt', 'id'] })
export class WebhookEndpoint {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Site, { deleteRule: 'restrict' })
  site!: Site;

  @Property({ type: 'text' })
  url!: string;

  /** Event types sent here; empty means all. */
  @Property({ type: 'text[]' })
  events: string[] = [];

  @Property({ type: 'boolean' })
  active: boolean = true;

  @Property({ type: 'bytea', lazy: true })
  sealedSecret!: Buffer;

  @Property({ type: 'integer' })
  keyVersion!: number;

  /** After a rotation, the old secret keeps signing beside the new one until previousExpiresAt. */
  @Property({ type: 'bytea', nullable: true, lazy: true })
  previousSealedSecret: Buffer | null = null;

  @Property({ type: 'integer', nullable: true })
  previousKeyVersion: number | null = null;

  @TimestampProperty({ nullable: true })
  previousExpiresAt: Date | null = null;

  @TimestampProperty()
  createdAt: Date = new Date();

  @TimestampProperty({ onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}

/**
 * The outbox: one row per event (domain.md, Merchant notifications), written in the same transaction
 * as the state change that causes it, with the object as the API showed it then.
 */
@Entity({ tableName: 'notification_event' })
@SiteScoped()
export class NotificationEvent {
  /** Also the `webhook-id` every delivery of it carries. */
  @PrimaryKey({ type: 'text' })
  id!: string;

  @ManyToOne(() => Site, { deleteRule: 'restrict' })
  site!: Site;

  @Property({ type: 'text' })
  type!: string;

  @Property({ type: 'jsonb' })
  data!: Record<string, unknown>;

  @TimestampProperty()
  createdAt: Date = new Date();
}

/** One event to one endpoint: attempted until delivered or its schedule runs out. */
@Entity({ tableName: 'webhook_delivery' })
@SiteScoped()
@Unique({ name: 'webhook_delivery_endpoint_event_unique', properties: ['endpoint', 'event'] })
@Index({ name: 'webhook_delivery_due_index', properties: ['nextAttemptAt'], where: "status = 'PENDING'" })
@Index({ name: 'webhook_delivery_site_created_index', properties: ['site', 'createdAt', 'id'] })
export class WebhookDelivery {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Site, { deleteRule: 'restrict' })
  site!: Site;

  @ManyToOne(() => WebhookEndpoint, { deleteRule: 'restrict' })
  endpoint!: WebhookEndpoint;

  @ManyToOne(() => NotificationEvent, { deleteRule: 'restrict' })
  event!: NotificationEvent;

  @Property({ type: 'text' })
  eventType!: string;

  @Enum({ items: () => WebhookDeliveryStatus, nativeEnumName: 'webhook_delivery_status' })
  status: WebhookDeliveryStatus = WebhookDeliveryStatus.PENDING;

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: 'integer', nullable: true })
  lastStatusCode: number | null = null;

  @Property({ type: 'text', nullable: true })
  lastError: string | null = null;

  @TimestampProperty({ nullable: true })
  nextAttemptAt: Date | null = null;

  /** A worker holds the delivery until then; a worker that dies lets it go at that time. */
  @TimestampProperty({ nullable: true })
  claimedUntil: Date | null = null;

  @TimestampProperty({ nullable: true })
  deliveredAt: Date | null = null;

  @TimestampProperty()
  createdAt: Date = new Date();

  @TimestampProperty({ onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
