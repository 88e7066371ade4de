import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Ctx, FieldResolver, ID, Info, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { toConnection, wantsTotal, type Connection } from '../schema/common/connection.js';
import type { GraphQLContext } from '../schema/context.js';
import { WalletStatus } from '../schema/wallets/enums.js';
import { GenerateWalletsArgs } from '../schema/wallets/generate-wallets.args.js';
import { ImportWalletArgs } from '../schema/wallets/import-wallet.args.js';
import { WalletFilter } from '../schema/wallets/wallet-filter.input.js';
import { PaymentOrderType, toPaymentOrderType } from '../schema/orders/order.type.js';
import { loadOrder } from '../services/orders/find-order.js';
import { WalletConnection, WalletPoolStatsType, WalletType, toWalletType } from '../schema/wallets/wallet.type.js';
import { generateWallets } from '../services/wallets/generate-wallets.js';
import { importWallet } from '../services/wallets/import-wallet.js';
import { listWallets } from '../services/wallets/list-wallets.js';
import { setWalletStatus } from '../services/wallets/set-wallet-status.js';
import { walletPoolStats } from '../services/wallets/wallet-pool-stats.js';
import { walletView } from '../services/wallets/wallet-view.js';

@Resolver(() => WalletType)
export class WalletResolver {
  @Query(() => WalletConnection)
  async wallets(
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('filter', () => WalletFilter, { nullable: true }) filter?: WalletFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<Connection<WalletType>> {
    const page = await listWallets(ctx, { network: filter?.network, status: filter?.status, first: first ?? 50, after, withTotal: wantsTotal(info) });
    return toConnection(page, toWalletType);
  }

  @Query(() => [WalletPoolStatsType])
  walletPoolStats(@Ctx() ctx: GraphQLContext): Promise<WalletPoolStatsType[]> {
    return walletPoolStats(ctx);
  }

  @Mutation(() => [WalletType], { description: 'Generate count (1-500) fresh deposit wallets; private keys are encrypted before they are stored.' })
  async generateWallets(@Args() args: GenerateWalletsArgs, @Ctx() ctx: GraphQLContext): Promise<WalletType[]> {
    return (await generateWallets(ctx, args)).map((w) => toWalletType(walletView(w)));
  }

  @Mutation(() => WalletType, { description: 'Import an existing deposit wallet by private key (hex for both networks).' })
  async importWallet(@Args() args: ImportWalletArgs, @Ctx() ctx: GraphQLContext): Promise<WalletType> {
    return toWalletType(walletView(await importWallet(ctx, args)));
  }

  @Mutation(() => WalletType)
  async setWalletStatus(@Arg('id', () => ID) id: string, @Arg('status', () => WalletStatus) status: WalletStatus, @Ctx() ctx: GraphQLContext): Promise<WalletType> {
    return toWalletType(walletView(await setWalletStatus(ctx, { id, status })));
  }

  @FieldResolver(() => PaymentOrderType, { nullable: true, description: 'The order holding this wallet, when ALLOCATED.' })
  async currentOrder(@Root() wallet: WalletType, @Ctx() ctx: GraphQLContext): Promise<PaymentOrderType | null> {
    if (!wallet.currentOrderId) return null;
    const order = await loadOrder(ctx, wallet.currentOrderId);
    return order ? toPaymentOrderType(order) : null;
  }
}
