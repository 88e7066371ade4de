import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { WalletView } from '../../services/wallets/wallet-view.js';
import { fromBaseUnits } from '../../services/money/amount.js';
import { Network } from '../assets/enums.js';
import { WalletStatus } from './enums.js';
import { connectionType } from '../common/connection.js';
import { DateTimeScalar } from '../scalars/date-time.scalar.js';
import { DecimalScalar } from '../scalars/decimal.scalar.js';

@ObjectType('Wallet', { simpleResolvers: true })
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

  /** For the currentOrder field resolver; not in the API. */
  currentOrderId!: string | null;
}

export const WalletConnection = connectionType(WalletType, 'Wallet');

@ObjectType('WalletPoolStats', { simpleResolvers: true })
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

/** The API view of a wallet: the sealed key and its version are not part of WalletView, so they cannot leak. */
export function toWalletType(w: WalletView): WalletType {
  return {
    id: w.id,
    network: w.network,
    address: w.address,
    label: w.label,
    status: w.status,
    balance: w.balance !== null && w.balanceDecimals !== null ? fromBaseUnits(w.balance, w.balanceDecimals) : null,
    balanceSyncedAt: w.balanceSyncedAt,
    createdAt: w.createdAt,
    currentOrderId: w.currentOrderId,
  };
}
