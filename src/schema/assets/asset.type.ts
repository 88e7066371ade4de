import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { Asset } from '../../entities/asset.entity.js';
import { AssetPurpose, Network } from './enums.js';

@ObjectType('Asset', { simpleResolvers: true })
export class AssetType {
  @Field(() => ID)
  id!: string;

  @Field(() => Network)
  network!: Network;

  @Field()
  symbol!: string;

  @Field(() => Int)
  decimals!: number;

  @Field({ description: 'Token contract (ERC20 address or TRC20 base58 address).' })
  contractAddress!: string;

  @Field(() => AssetPurpose)
  purpose!: AssetPurpose;

  @Field(() => String, { nullable: true, description: 'Custody provider asset id used for payouts, e.g. USDT_ERC20 or POSX_ETH.' })
  custodyAssetId!: string | null;

  @Field(() => Int)
  confirmationsRequired!: number;

  @Field()
  active!: boolean;
}

export function toAssetType(a: Asset): AssetType {
  return {
    id: a.id,
    network: a.network,
    symbol: a.symbol,
    decimals: a.decimals,
    contractAddress: a.contractAddress,
    purpose: a.purpose,
    custodyAssetId: a.custodyAssetId,
    confirmationsRequired: a.confirmationsRequired,
    active: a.active,
  };
}
