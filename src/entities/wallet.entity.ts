import { randomUUID } from 'node:crypto';
import { Check, Entity, Enum, Index, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { Asset } from './asset.entity.js';
import { AmountProperty, TimestampProperty } from './columns.js';
import { Network, WalletStatus } from './enums.js';
import { Site } from './site.entity.js';
import { SiteScoped } from './site-scope.js';

/**
 * A deposit address of the pool. The private key is stored sealed (AES-256-GCM, see
 * services/wallet-keys/wallet-key-cipher.ts) and is never mapped into the API.
 */
@Entity({ tableName: 'wallet' })
@SiteScoped()
// One address, one wallet, across every site: a payment must never be attributable to two rows.
@Unique({ name: 'wallet_network_address_unique', properties: ['network', 'address'] })
@Index({ name: 'wallet_pool_index', properties: ['site', 'network', 'status'] })
// The wallets list pages newest first by (created_at, id) inside a site (services/pagination.ts).
@Index({ name: 'wallet_site_created_index', properties: ['site', 'createdAt', 'id'] })
// Allocation takes the longest-idle AVAILABLE wallet: this partial index makes that an index scan.
@Index({ name: 'wallet_available_index', properties: ['site', 'network', 'updatedAt', 'id'], where: "status = 'AVAILABLE'" })
@Check({ name: 'wallet_allocated_has_order', expression: "(status = 'ALLOCATED') = (current_order_id is not null)" })
export class Wallet {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Site, { deleteRule: 'restrict' })
  site!: Site;

  @Enum({ items: () => Network, nativeEnumName: 'network' })
  network!: Network;

  @Property({ type: 'text' })
  address!: string;

  @Property({ type: 'text', nullable: true })
  label: string | null = null;

  @Enum({ items: () => WalletStatus, nativeEnumName: 'wallet_status' })
  status: WalletStatus = WalletStatus.AVAILABLE;

  /** nonce | ciphertext | tag. Lazy: loaded only by the code that needs it. */
  @Property({ type: 'bytea', lazy: true })
  sealedKey!: Buffer;

  @Property({ type: 'integer' })
  keyVersion!: number;

  /** The order holding the wallet while ALLOCATED. No foreign key: the wallet is taken before its order row is written, in the same transaction. */
  @Property({ type: 'uuid', nullable: true })
  currentOrderId: string | null = null;

  /** COOLING_DOWN until this moment, then the cool-down job makes it AVAILABLE again. */
  @TimestampProperty({ nullable: true })
  coolingDownUntil: Date | null = null;

  /** Last synced on-chain balance of `balanceAsset`, in its base units. */
  @AmountProperty({ nullable: true })
  balance: string | null = null;

  @ManyToOne(() => Asset, { nullable: true, deleteRule: 'restrict' })
  balanceAsset: Asset | null = null;

  @TimestampProperty({ nullable: true })
  balanceSyncedAt: Date | null = null;

  @TimestampProperty()
  createdAt: Date = new Date();

  @TimestampProperty({ onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
