import { Length, Matches } from 'class-validator';
import { ArgsType, Field } from 'type-graphql';

@ArgsType()
export class CreateSiteArgs {
  @Field({ description: 'URL-safe unique name: 1-63 lower-case letters, digits or inner hyphens.' })
  @Matches(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, { message: 'slug must be 1-63 lower-case letters, digits or inner hyphens' })
  slug!: string;

  @Field()
  @Length(1, 200, { message: 'name must be 1-200 characters' })
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;
}
