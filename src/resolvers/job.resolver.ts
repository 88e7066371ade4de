import { Ctx, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../schema/context.js';
import { JobStatType } from '../schema/jobs/job-stat.type.js';
import { listJobStats } from '../services/jobs/list-job-stats.js';

@Resolver()
export class JobResolver {
  @Query(() => [JobStatType])
  jobStats(@Ctx() ctx: GraphQLContext): Promise<JobStatType[]> {
    return listJobStats(ctx, ctx.deps.jobs);
  }
}
