import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, Info, Int, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { toConnection, wantsTotal, type Connection } from '../schema/common/connection.js';
import type { GraphQLContext } from '../schema/context.js';
import { AllocationType, toAllocationType } from '../schema/vesting/allocation.type.js';
import { ReleaseFilter } from '../schema/vesting/filters.input.js';
import { VestingReleaseConnection, VestingReleaseType, toReleaseType } from '../schema/vesting/release.type.js';
import { NotFoundError } from '../services/errors.js';
import type { ReleaseView } from '../services/vesting/allocation-view.js';
import { loadAllocation } from '../services/vesting/find-allocation.js';
import { listReleases } from '../services/vesting/list-releases.js';
import { releaseUpdates } from '../services/vesting/release-events.js';
import type { ReleaseStatus } from '../entities/enums.js';

@Resolver(() => VestingReleaseType)
export class ReleaseResolver {
  @Query(() => VestingReleaseConnection)
  async releases(
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => ReleaseFilter, { nullable: true }) filter?: ReleaseFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<Connection<VestingReleaseType>> {
    const page = await listReleases(ctx, {
      status: filter?.status as unknown as ReleaseStatus[] | null | undefined,
      allocationId: filter?.allocationId,
      unlockBefore: filter?.unlockBefore,
      first: first ?? 50,
      after,
      withTotal: wantsTotal(info),
    });
    return toConnection(page, toReleaseType);
  }

  @Subscription(() => VestingReleaseType, {
    description: "Every release change in the caller's site (admins and operators).",
    subscribe: ({ context }: SubscribeResolverData<unknown, Record<string, never>, GraphQLContext>) => releaseUpdates(context),
  })
  releaseUpdated(@Root() release: ReleaseView): VestingReleaseType {
    return toReleaseType(release);
  }

  @FieldResolver(() => AllocationType)
  async allocation(@Root() r: VestingReleaseType, @Ctx() ctx: GraphQLContext): Promise<AllocationType> {
    const a = await loadAllocation(ctx, r.allocationId);
    // A release is read only through its visible allocation: missing means a broken invariant.
    if (!a) throw new NotFoundError('Allocation');
    return toAllocationType(a);
  }
}
