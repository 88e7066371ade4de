import { Field, ID, InputType } from 'type-graphql';
import { Role } from './role.enum.js';

@InputType()
export class CreateUserInput {
  @Field()
  email!: string;

  @Field()
  password!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => ID, { nullable: true, description: 'Required for every role but SUPER_ADMIN.' })
  siteId?: string | null;
}
