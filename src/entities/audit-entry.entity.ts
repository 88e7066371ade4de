import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, PrimaryKey, Property, Trigger } from '@mikro-orm/decorators/legacy';
import { TimestampProperty } from './columns.js';
import { Site } from './site.entity.js';
import { SiteScoped } from './site-scope.js';
import { User } from './user.entity.js';

/** Append-only record of every state change. `site` is null only for platform actions by a SUPER_ADMIN. */
@Entity({ tableName: 'audit_entry' })
@SiteScoped()
// Pages are read newest first by (at, id) inside a site (services/pagination.ts).
@Index({ name: 'audit_entry_site_at_index', properties: ['site', 'at', 'id'] })
// Append-only in the database itself: no role of the application may rewrite history.
@Trigger({ name: 'audit_entry_append_only', timing: 'before', events: ['update', 'delete'], forEach: 'row', body: "raise exception 'audit_entry is append-only'" })
export class AuditEntry {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Site, { nullable: true, deleteRule: 'restrict' })
  site: Site | null = null;

  // restrict: history keeps its actors (the table is append-only, so 'set null' could never run).
  @ManyToOne(() => User, { nullable: true, deleteRule: 'restrict' })
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
