import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { Network } from '../schema/assets/enums.js';
import { WalletStatus } from '../schema/wallets/enums.js';
import { WalletFilter } from '../schema/wallets/wallet-filter.input.js';
import type { GraphQLContext } from '../schema/context.js';
import { WalletConnection, WalletPoolStatsType, WalletType, toWalletType } from '../schema/wallets/wallet.type.js';
import { encodeCursor } from '../services/pagination.js';
import { generateWallets } from '../services/wallets/generate-wallets.js';
import { importWallet } from '../services/wallets/import-wallet.js';
import { listWallets } from '../services/wallets/list-wallets.js';
import { setWalletStatus } from '../services/wallets/set-wallet-status.js';
import { walletPoolStats } from '../services/wallets/wallet-pool-stats.js';
import { requireSiteId } from '../services/auth/actor.js';

@Resolver(() => WalletType)
export class WalletResolver {
  @Query(() => WalletConnection)
  async wallets(
    @Ctx() ctx: GraphQLContext,
    @Arg('filter', () => WalletFilter, { nullable: true }) filter?: WalletFilter | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<WalletConnection> {
    const page = await listWallets(ctx.em, requireSiteId(ctx), { network: filter?.network, status: filter?.status, first: first ?? 50, after });
    return {
      edges: page.items.map((w) => ({ node: toWalletType(w), cursor: encodeCursor({ at: w.createdAt, id: w.id }) })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      totalCount: page.totalCount,
    };
  }

  @Query(() => [WalletPoolStatsType])
  walletPoolStats(@Ctx() ctx: GraphQLContext): Promise<WalletPoolStatsType[]> {
    return walletPoolStats(ctx.em, requireSiteId(ctx));
  }

  @Mutation(() => [WalletType], { description: 'Generate count (1-500) fresh deposit wallets; private keys are encrypted before they are stored.' })
  async generateWallets(
    @Arg('network', () => Network) network: Network,
    @Arg('count', () => Int) count: number,
    @Ctx() ctx: GraphQLContext,
    @Arg('labelPrefix', () => String, { nullable: true }) labelPrefix?: string | null,
  ): Promise<WalletType[]> {
    return (await generateWallets(ctx.em, ctx, { network, count, labelPrefix }, ctx.deps.keyring)).map(toWalletType);
  }

  @Mutation(() => WalletType, { description: 'Import an existing deposit wallet by private key (hex for both networks).' })
  async importWallet(
    @Arg('network', () => Network) network: Network,
    @Arg('privateKey') privateKey: string,
    @Ctx() ctx: GraphQLContext,
    @Arg('label', () => String, { nullable: true }) label?: string | null,
  ): Promise<WalletType> {
    return toWalletType(await importWallet(ctx.em, ctx, { network, privateKey, label }, ctx.deps.keyring));
  }

  @Mutation(() => WalletType)
  async setWalletStatus(@Arg('id', () => ID) id: string, @Arg('status', () => WalletStatus) status: WalletStatus, @Ctx() ctx: GraphQLContext): Promise<WalletType> {
    const wallet = await setWalletStatus(ctx.em, ctx, id, status);
    await ctx.em.populate(wallet, ['balanceAsset']);
    return toWalletType(wallet);
  }
}
