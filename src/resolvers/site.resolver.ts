import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../schema/context.js';
import { SiteType, toSiteType } from '../schema/sites/site.type.js';
import { createSite } from '../services/sites/create-site.js';
import { listSites } from '../services/sites/list-sites.js';

@Resolver(() => SiteType)
export class SiteResolver {
  @Query(() => [SiteType])
  async sites(@Ctx() ctx: GraphQLContext): Promise<SiteType[]> {
    return (await listSites(ctx.em)).map(toSiteType);
  }

  @Mutation(() => SiteType)
  async createSite(@Arg('slug') slug: string, @Arg('name') name: string, @Ctx() ctx: GraphQLContext): Promise<SiteType> {
    return toSiteType(await createSite(ctx.em, ctx, { slug, name }));
  }
}
