import { randomUUID } from 'node:crypto';
import { Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Asset } from './asset.entity.js';
import { AmountProperty, TimestampProperty } from './columns.js';
import { Network, TransferStatus } from './enums.js';
import { PaymentOrder } from './payment-order.entity.js';
import { Site } from './site.entity.js';
import { SiteScoped } from './site-scope.js';
import { Wallet } from './wallet.entity.js';

/**
 * A payment-token transfer into one of our deposit wallets, stored once however often a watcher sees
 * it. `order` is the order it was credited to; a transfer that arrived after its order ended keeps
 * `lateForOrder` instead and is never counted (domain.md: late payments are recorded, never dropped).
 */
@Entity({ tableName: 'chain_transfer' })
@SiteScoped()
@Unique({ name: 'chain_transfer_network_tx_log_unique', properties: ['network', 'txHash', 'logIndex'] })
@Index({ name: 'chain_transfer_order_index', properties: ['order'] })
// The watcher rechecks unconfirmed transfers every run.
@Index({ name: 'chain_transfer_unconfirmed_index', properties: ['network', 'blockNumber'], where: "status = 'UNCONFIRMED'" })
export class ChainTransfer {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Site, { deleteRule: 'restrict' })
  site!: Site;

  @Enum({ items: () => Network, nativeEnumName: 'network' })
  network!: Network;

  @Property({ type: 'text' })
  txHash!: string;

  @Property({ type: 'integer' })
  logIndex!: number;

  @Property({ type: 'text' })
  fromAddress!: string;

  @Property({ type: 'text' })
  toAddress!: string;

  @ManyToOne(() => Wallet, { deleteRule: 'restrict' })
  wallet!: Wallet;

  @ManyToOne(() => Asset, { deleteRule: 'restrict' })
  asset!: Asset;

  @AmountProperty()
  amount!: string;

  @Property({ type: 'bigint' })
  blockNumber!: string;

  @Property({ type: 'text' })
  blockHash!: string;

  @Property({ type: 'integer' })
  confirmations!: number;

  @Enum({ items: () => TransferStatus, nativeEnumName: 'transfer_status' })
  status!: TransferStatus;

  @ManyToOne(() => PaymentOrder, { nullable: true, deleteRule: 'restrict' })
  order: PaymentOrder | null = null;

  @ManyToOne(() => PaymentOrder, { nullable: true, deleteRule: 'restrict' })
  lateForOrder: PaymentOrder | null = null;

  @TimestampProperty()
  seenAt: Date = new Date();

  @TimestampProperty({ onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
