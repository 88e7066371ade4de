import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../schema/context.js';
import { PayoutBatchResultType, PayoutMode } from '../schema/payouts/payout.type.js';
import { VestingReleaseType, toReleaseType } from '../schema/vesting/release.type.js';
import { releaseBatch } from '../services/payouts/release-batch.js';
import { retryRelease } from '../services/payouts/retry-release.js';

@Resolver()
export class PayoutResolver {
  @Query(() => PayoutMode)
  payoutMode(@Ctx() ctx: GraphQLContext): PayoutMode {
    return ctx.deps.payouts.custody.mode as PayoutMode;
  }

  @Mutation(() => PayoutBatchResultType, { description: 'Submit up to 100 UNLOCKED releases to custody. Rate limited per admin.' })
  async releaseBatch(@Arg('releaseIds', () => [ID]) releaseIds: string[], @Ctx() ctx: GraphQLContext): Promise<PayoutBatchResultType> {
    const r = await releaseBatch(ctx, { releaseIds });
    return { submitted: r.submitted.map(toReleaseType), skipped: r.skipped, mode: r.mode as PayoutMode };
  }

  @Mutation(() => VestingReleaseType, { description: 'Move a FAILED release back to UNLOCKED so it can be batched again (same externalTxId).' })
  async retryRelease(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<VestingReleaseType> {
    return toReleaseType(await retryRelease(ctx, { id }));
  }
}
