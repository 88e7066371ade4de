import { Field, ID, ObjectType } from 'type-graphql';
import type { UserView } from '../../services/users/user-view.js';
import { DateTimeScalar } from '../scalars/date-time.scalar.js';
import { SiteType } from '../sites/site.type.js';
import { Role } from './role.enum.js';

@ObjectType('User', { simpleResolvers: true })
export class UserType {
  @Field(() => ID)
  id!: string;

  @Field()
  email!: string;

  @Field(() => Role)
  role!: Role;

  /** Resolved from siteId by the user resolver. */
  @Field(() => SiteType, { nullable: true })
  site?: SiteType | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  siteId!: string | null;
}

/** Only these columns become API: a new column on the entity stays private until mapped here. */
export function toUserType(user: UserView): UserType {
  return { id: user.id, email: user.email, role: user.role, createdAt: user.createdAt, siteId: user.siteId };
}
