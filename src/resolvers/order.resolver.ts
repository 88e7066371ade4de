import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import { toConnection, wantsTotal, type Connection } from '../schema/common/connection.js';
import type { GraphQLContext } from '../schema/context.js';
import { ChainTransferType, toChainTransferType } from '../schema/orders/chain-transfer.type.js';
import { CreateOrderInput } from '../schema/orders/create-order.input.js';
import { OrderFilter } from '../schema/orders/order-filter.input.js';
import { PaymentOrderConnection, PaymentOrderType, toPaymentOrderType } from '../schema/orders/order.type.js';
import { UserType, toUserType } from '../schema/users/user.type.js';
import { NotFoundError } from '../services/errors.js';
import { cancelOrder } from '../services/orders/cancel-order.js';
import { confirmOrderManually } from '../services/orders/confirm-order-manually.js';
import { createOrder } from '../services/orders/create-order.js';
import { findOrder } from '../services/orders/find-order.js';
import { listOrders } from '../services/orders/list-orders.js';
import { orderUpdates, siteOrderUpdates } from '../services/orders/order-updates.js';
import { loadOrderTransfers } from '../services/orders/order-transfers.js';
import type { OrderView } from '../services/orders/order-view.js';
import { loadSiteUser } from '../services/users/load-user.js';
import { loadOrderAllocation } from '../services/vesting/find-allocation.js';
import { AllocationType, toAllocationType } from '../schema/vesting/allocation.type.js';

type SubscriptionData = SubscribeResolverData<unknown, { id: string }, GraphQLContext>;

@Resolver(() => PaymentOrderType)
export class OrderResolver {
  @Query(() => PaymentOrderType, { nullable: true })
  async order(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<PaymentOrderType | null> {
    const order = await findOrder(ctx, id);
    return order ? toPaymentOrderType(order) : null;
  }

  @Query(() => PaymentOrderConnection)
  async orders(
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => OrderFilter, { nullable: true }) filter?: OrderFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<Connection<PaymentOrderType>> {
    const page = await listOrders(ctx, { ...filter, first: first ?? 50, after, withTotal: wantsTotal(info) });
    return toConnection(page, toPaymentOrderType);
  }

  @Mutation(() => PaymentOrderType, { description: 'A payment order for the signed-in customer. Send an Idempotency-Key header to make retries safe (24 hours).' })
  async createOrder(@Arg('input') input: CreateOrderInput, @Ctx() ctx: GraphQLContext): Promise<PaymentOrderType> {
    return toPaymentOrderType(await createOrder(ctx, input, { idempotencyKey: ctx.idempotencyKey }));
  }

  @Mutation(() => PaymentOrderType)
  async cancelOrder(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext, @Arg('reason', () => String, { nullable: true }) reason?: string | null): Promise<PaymentOrderType> {
    return toPaymentOrderType(await cancelOrder(ctx, { id, reason }));
  }

  @Mutation(() => PaymentOrderType, { description: 'Admin override: mark an order PAID after checking the chain by hand. Audited.' })
  async confirmOrderManually(@Arg('id', () => ID) id: string, @Arg('reason') reason: string, @Ctx() ctx: GraphQLContext): Promise<PaymentOrderType> {
    return toPaymentOrderType(await confirmOrderManually(ctx, { id, reason }));
  }

  @Subscription(() => PaymentOrderType, {
    description: 'Every status or confirmation change of one order. The customer of the order or a site admin/operator.',
    subscribe: ({ args, context }: SubscriptionData) => orderUpdates(context, args.id),
  })
  orderUpdated(@Root() order: OrderView, @Arg('id', () => ID) _id: string): PaymentOrderType {
    return toPaymentOrderType(order);
  }

  @Subscription(() => PaymentOrderType, {
    description: "Every order change in the caller's site (admins and operators).",
    subscribe: ({ context }: SubscriptionData) => siteOrderUpdates(context),
  })
  siteOrderUpdated(@Root() order: OrderView): PaymentOrderType {
    return toPaymentOrderType(order);
  }

  @FieldResolver(() => AllocationType, { nullable: true })
  async allocation(@Root() order: PaymentOrderType, @Ctx() ctx: GraphQLContext): Promise<AllocationType | null> {
    const a = await loadOrderAllocation(ctx, order.id);
    return a ? toAllocationType(a) : null;
  }

  @FieldResolver(() => [ChainTransferType])
  async transfers(@Root() order: PaymentOrderType, @Ctx() ctx: GraphQLContext): Promise<ChainTransferType[]> {
    return (await loadOrderTransfers(ctx, order.id)).map(toChainTransferType);
  }

  @FieldResolver(() => UserType)
  async customer(@Root() order: PaymentOrderType, @Ctx() ctx: GraphQLContext): Promise<UserType> {
    const user = await loadSiteUser(ctx, order.customerId);
    // The customer row is restricted from deletion while it has orders: missing means a broken invariant.
    if (!user) throw new NotFoundError('Customer');
    return toUserType(user);
  }
}
