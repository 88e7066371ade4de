import { Arg, Args, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../schema/context.js';
import { CreateSiteArgs } from '../schema/sites/create-site.args.js';
import { SiteSettingsInput } from '../schema/sites/site-settings.input.js';
import { SiteType, toSiteType } from '../schema/sites/site.type.js';
import { createSite } from '../services/sites/create-site.js';
import { listSites } from '../services/sites/list-sites.js';
import { updateSiteSettings } from '../services/sites/update-site-settings.js';

@Resolver(() => SiteType)
export class SiteResolver {
  @Query(() => [SiteType])
  async sites(@Ctx() ctx: GraphQLContext): Promise<SiteType[]> {
    return (await listSites(ctx)).map(toSiteType);
  }

  @Mutation(() => SiteType, { description: "Change the sale settings of the caller's site; only the fields sent change." })
  async updateSiteSettings(@Arg('input') input: SiteSettingsInput, @Ctx() ctx: GraphQLContext): Promise<SiteType> {
    return toSiteType(await updateSiteSettings(ctx, input));
  }

  @Mutation(() => SiteType)
  async createSite(@Args() args: CreateSiteArgs, @Ctx() ctx: GraphQLContext): Promise<SiteType> {
    return toSiteType(await createSite(ctx, args));
  }
}
