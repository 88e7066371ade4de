import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { toConnection, wantsTotal, type Connection } from '../schema/common/connection.js';
import type { GraphQLContext } from '../schema/context.js';
import { PaymentOrderType, toPaymentOrderType } from '../schema/orders/order.type.js';
import { UserType, toUserType } from '../schema/users/user.type.js';
import { AllocationConnection, AllocationType, toAllocationType } from '../schema/vesting/allocation.type.js';
import { AllocationFilter } from '../schema/vesting/filters.input.js';
import { VestingReleaseType, toReleaseType } from '../schema/vesting/release.type.js';
import { NotFoundError } from '../services/errors.js';
import { loadOrder } from '../services/orders/find-order.js';
import { loadSiteUser } from '../services/users/load-user.js';
import { loadAllocation } from '../services/vesting/find-allocation.js';
import { listAllocations } from '../services/vesting/list-allocations.js';
import { loadAllocationReleases } from '../services/vesting/list-releases.js';
import { releaseView } from '../services/vesting/allocation-view.js';
import { revokeAllocation } from '../services/vesting/revoke-allocation.js';

@Resolver(() => AllocationType)
export class AllocationResolver {
  @Query(() => AllocationType, { nullable: true })
  async allocation(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<AllocationType | null> {
    const a = await loadAllocation(ctx, id);
    return a ? toAllocationType(a) : null;
  }

  @Query(() => AllocationConnection)
  async allocations(
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => AllocationFilter, { nullable: true }) filter?: AllocationFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<Connection<AllocationType>> {
    return toConnection(await listAllocations(ctx, { ...filter, first: first ?? 50, after, withTotal: wantsTotal(info) }), toAllocationType);
  }

  @Mutation(() => AllocationType, { description: 'Stop future releases of an allocation; LOCKED releases are cancelled, processed ones stay.' })
  async revokeAllocation(@Arg('id', () => ID) id: string, @Arg('reason') reason: string, @Ctx() ctx: GraphQLContext): Promise<AllocationType> {
    return toAllocationType(await revokeAllocation(ctx, { id, reason }));
  }

  @FieldResolver(() => [VestingReleaseType])
  async releases(@Root() a: AllocationType, @Ctx() ctx: GraphQLContext): Promise<VestingReleaseType[]> {
    return (await loadAllocationReleases(ctx, a.id)).map((r) => toReleaseType(releaseView({ ...r, decimals: a.asset.decimals })));
  }

  @FieldResolver(() => UserType)
  async beneficiary(@Root() a: AllocationType, @Ctx() ctx: GraphQLContext): Promise<UserType> {
    const user = await loadSiteUser(ctx, a.beneficiaryId);
    // Users with allocations cannot be deleted (foreign key): missing means a broken invariant.
    if (!user) throw new NotFoundError('Beneficiary');
    return toUserType(user);
  }

  @FieldResolver(() => PaymentOrderType, { nullable: true })
  async order(@Root() a: AllocationType, @Ctx() ctx: GraphQLContext): Promise<PaymentOrderType | null> {
    if (!a.orderId) return null;
    const o = await loadOrder(ctx, a.orderId);
    return o ? toPaymentOrderType(o) : null;
  }
}
