import { randomUUID } from 'node:crypto';
import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TimestampProperty } from './columns.js';
import { Role } from './role.js';
import { Site } from './site.entity.js';
import { SiteScoped } from './site-scope.js';

/**
 * A person who signs in. SUPER_ADMINs have no site; everyone else belongs to one.
 * Email is unique per site (the index is NULLS NOT DISTINCT, so also among SUPER_ADMINs).
 */
@Entity({ tableName: 'app_user' })
@SiteScoped()
@Unique({ name: 'app_user_site_email_unique', expression: 'create unique index "app_user_site_email_unique" on "app_user" ("site_id", "email") nulls not distinct' })
// Login looks an email up across sites; the unique index leads with site_id and cannot serve it.
@Index({ name: 'app_user_email_index', properties: ['email'] })
@Check({ name: 'app_user_email_lower', expression: 'email = lower(email)' })
// Only a SUPER_ADMIN lives outside a site.
@Check({ name: 'app_user_site_matches_role', expression: "(role = 'SUPER_ADMIN') = (site_id is null)" })
export class User {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Site, { nullable: true, deleteRule: 'restrict' })
  site: Site | null = null;

  /** Stored lower-cased so the uniqueness check cannot be dodged by case. */
  @Property({ type: 'text' })
  email!: string;

  @Property({ type: 'text', lazy: true })
  passwordHash!: string;

  @Enum({ items: () => Role, nativeEnumName: 'user_role' })
  role!: Role;

  @TimestampProperty()
  createdAt: Date = new Date();
}
