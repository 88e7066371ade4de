import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { TimestampProperty } from './columns.js';
import { Site } from './site.entity.js';
import { SiteScoped } from './site-scope.js';
import { User } from './user.entity.js';

/** Append-only record of every state change. `site` is null only for platform actions by a SUPER_ADMIN. */
@Entity({ tableName: 'audit_entry' })
@SiteScoped()
@Index({ properties: ['site', 'at'] })
export class AuditEntry {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Site, { nullable: true, deleteRule: 'restrict' })
  site: Site | null = null;

  @ManyToOne(() => User, { nullable: true, deleteRule: 'set null' })
  actor: User | null = null;

  @Property({ type: 'text' })
  action!: string;

  @Property({ type: 'text' })
  targetType!: string;

  @Property({ type: 'text' })
  targetId!: string;

  @Property({ type: 'jsonb' })
  details: Record<string, unknown> = {};

  @Property({ type: 'text', nullable: true })
  ip: string | null = null;

  @TimestampProperty()
  at: Date = new Date();
}
