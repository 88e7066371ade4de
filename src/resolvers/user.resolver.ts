import { Arg, Ctx, FieldResolver, Mutation, Resolver, Root } from 'type-graphql';
import type { GraphQLContext } from '../schema/context.js';
import { SiteType, toSiteType } from '../schema/sites/site.type.js';
import { CreateUserInput } from '../schema/users/create-user.input.js';
import { UserType, toUserType } from '../schema/users/user.type.js';
import { loadSite } from '../services/sites/load-site.js';
import { createUser } from '../services/users/create-user.js';
import { userView } from '../services/users/user-view.js';

@Resolver(() => UserType)
export class UserResolver {
  @Mutation(() => UserType)
  async createUser(@Arg('input') input: CreateUserInput, @Ctx() ctx: GraphQLContext): Promise<UserType> {
    return toUserType(userView(await createUser(ctx, input)));
  }

  @FieldResolver(() => SiteType, { nullable: true })
  async site(@Root() user: UserType, @Ctx() ctx: GraphQLContext): Promise<SiteType | null> {
    if (!user.siteId) return null;
    const site = await loadSite(ctx, user.siteId);
    return site ? toSiteType(site) : null;
  }
}
