import { Field, ObjectType } from 'type-graphql';
import { DateTimeScalar } from '../scalars/date-time.scalar.js';
import { UserType } from './user.type.js';

@ObjectType({ simpleResolvers: true })
export class AuthPayload {
  @Field({ description: 'Bearer token (JWT) for the Authorization header and the graphql-ws connection_init payload.' })
  token!: string;

  @Field(() => DateTimeScalar)
  expiresAt!: Date;

  @Field(() => UserType)
  user!: UserType;
}
