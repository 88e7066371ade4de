import { randomUUID } from 'node:crypto';
import { Check, Entity, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { TimestampProperty } from './columns.js';

/** A tenant. Every other row (but SUPER_ADMIN users) belongs to exactly one site. */
@Entity({ tableName: 'site' })
@Check({ name: 'site_slug_format', expression: "slug ~ '^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$'" })
export class Site {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'text', unique: true })
  slug!: string;

  @Property({ type: 'text' })
  name!: string;

  /** Price of one distribution token in payment units; an exact decimal, never a float. */
  @Property({ type: 'decimal', precision: 38, scale: 18, nullable: true })
  tokenPrice: string | null = null;

  @Property({ type: 'decimal', precision: 38, scale: 18, nullable: true })
  minOrderAmount: string | null = null;

  @Property({ type: 'decimal', precision: 38, scale: 18, nullable: true })
  maxOrderAmount: string | null = null;

  @Property({ type: 'integer' })
  orderTtlMinutes: number = 30;

  @Property({ type: 'integer' })
  walletCooldownMinutes: number = 60;

  @TimestampProperty({ nullable: true })
  tgeAt: Date | null = null;

  @TimestampProperty()
  createdAt: Date = new Date();
}
