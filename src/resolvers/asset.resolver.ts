import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { AssetInput } from '../schema/assets/asset.input.js';
import { AssetType, toAssetType } from '../schema/assets/asset.type.js';
import { AssetPurpose, Network } from '../schema/assets/enums.js';
import type { GraphQLContext } from '../schema/context.js';
import { listAssets } from '../services/assets/list-assets.js';
import { upsertAsset } from '../services/assets/upsert-asset.js';

@Resolver(() => AssetType)
export class AssetResolver {
  @Query(() => [AssetType])
  async assets(
    @Ctx() ctx: GraphQLContext,
    @Arg('network', () => Network, { nullable: true }) network?: Network | null,
    @Arg('purpose', () => AssetPurpose, { nullable: true }) purpose?: AssetPurpose | null,
  ): Promise<AssetType[]> {
    return (await listAssets(ctx, { network, purpose })).map(toAssetType);
  }

  @Mutation(() => AssetType)
  async upsertAsset(@Arg('input') input: AssetInput, @Ctx() ctx: GraphQLContext): Promise<AssetType> {
    return toAssetType(await upsertAsset(ctx, input));
  }
}
