import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { Wallet } from '../../entities/wallet.entity.js';
import { fromBaseUnits } from '../../services/money/amount.js';
import { Network } from '../assets/enums.js';
import { WalletStatus } from './enums.js';
import { connectionType } from '../common/connection.js';
import { DateTimeScalar } from '../scalars/date-time.scalar.js';
import { DecimalScalar } from '../scalars/decimal.scalar.js';

@ObjectType('Wallet')
export class WalletType {
  @Field(() => ID)
  id!: string;

  @Field(() => Network)
  network!: Network;

  @Field()
  address!: string;

  @Field(() => String, { nullable: true })
  label!: string | null;

  @Field(() => WalletStatus)
  status!: WalletStatus;

  @Field(() => DecimalScalar, { nullable: true, description: 'Last synced on-chain balance of the payment asset.' })
  balance!: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  balanceSyncedAt!: Date | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

export const WalletConnection = connectionType(WalletType, 'Wallet');

@ObjectType('WalletPoolStats')
export class WalletPoolStatsType {
  @Field(() => Network)
  network!: Network;

  @Field(() => Int)
  available!: number;

  @Field(() => Int)
  allocated!: number;

  @Field(() => Int)
  coolingDown!: number;

  @Field(() => Int)
  disabled!: number;
}

/**
 * The API view of a wallet. The sealed key and its version are not mapped, so they cannot leak by
 * a stray decorator. Expects `balanceAsset` loaded when a balance is set.
 */
export function toWalletType(w: Wallet): WalletType {
  const decimals = w.balanceAsset?.decimals;
  return {
    id: w.id,
    network: w.network,
    address: w.address,
    label: w.label,
    status: w.status,
    balance: w.balance !== null && decimals !== undefined ? fromBaseUnits(w.balance, decimals) : null,
    balanceSyncedAt: w.balanceSyncedAt,
    createdAt: w.createdAt,
  };
}
