import { randomUUID } from 'node:crypto';
import { Entity, Index, ManyToOne, PrimaryKey } from '@mikro-orm/decorators/legacy';
import { Asset } from './asset.entity.js';
import { AmountProperty, TimestampProperty } from './columns.js';
import { Site } from './site.entity.js';
import { SiteScoped } from './site-scope.js';
import { Wallet } from './wallet.entity.js';

/** One row each time a wallet's synced balance changes: the history behind Wallet.balance. */
@Entity({ tableName: 'wallet_balance_snapshot' })
@SiteScoped()
@Index({ properties: ['wallet', 'syncedAt'] })
export class WalletBalanceSnapshot {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Site, { deleteRule: 'restrict' })
  site!: Site;

  @ManyToOne(() => Wallet, { deleteRule: 'cascade' })
  wallet!: Wallet;

  @ManyToOne(() => Asset, { deleteRule: 'restrict' })
  asset!: Asset;

  @AmountProperty()
  balance!: string;

  @TimestampProperty()
  syncedAt: Date = new Date();
}
