import { Check, Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { TimestampProperty } from './columns.js';
import { User } from './user.entity.js';

/**
 * One signed-in session: a token's `sid` names its row, and a token authenticates only while its row
 * exists, is not revoked and has not expired. Logout revokes one row, a password change all of a
 * user's rows; deleting the user deletes them. Not site-scoped: it is read only together with its
 * user (whose role and site are re-read each time), and SUPER_ADMINs, who have no site, have sessions.
 */
@Entity({ tableName: 'user_session' })
@Check({ name: 'user_session_audience_check', expression: "audience in ('api', 'dashboard')" })
export class UserSession {
  @PrimaryKey({ type: 'uuid' })
  id!: string;

  @ManyToOne(() => User, { deleteRule: 'cascade' })
  @Index({ name: 'user_session_user_id_index' })
  user!: User;

  /** The token audience the session was opened for (`api` or `dashboard`). */
  @Property({ type: 'text' })
  audience!: string;

  @TimestampProperty()
  createdAt!: Date;

  /** The token's own expiry; rows past it are pruned. */
  @TimestampProperty()
  @Index({ name: 'user_session_expires_at_index' })
  expiresAt!: Date;

  @TimestampProperty({ nullable: true })
  revokedAt: Date | null = null;

  /** Where the session was opened from; never shown to a site. */
  @Property({ type: 'text', nullable: true })
  ip: string | null = null;
}
