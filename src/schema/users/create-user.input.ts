import { Length, MaxLength } from 'class-validator';
import { Field, ID, InputType } from 'type-graphql';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../../services/auth/password.js';
import { Role } from './role.enum.js';

@InputType()
export class CreateUserInput {
  @Field()
  @MaxLength(254, { message: 'email is not a valid address' })
  email!: string;

  @Field()
  @Length(PASSWORD_MIN_LENGTH, PASSWORD_MAX_LENGTH, { message: `password must be ${PASSWORD_MIN_LENGTH}-${PASSWORD_MAX_LENGTH} characters` })
  password!: string;

  @Field(() => Role)
  role!: Role;

  @Field(() => ID, { nullable: true, description: 'Required for every role but SUPER_ADMIN.' })
  siteId?: string | null;
}
