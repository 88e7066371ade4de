import { Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../schema/context.js';
import { JobStatType } from '../schema/jobs/job-stat.type.js';

@Resolver()
export class JobResolver {
  @Query(() => [JobStatType])
  jobStats(@Ctx() ctx: GraphQLContext): Promise<JobStatType[]> {
    return ctx.deps.jobs.stats();
  }
}
