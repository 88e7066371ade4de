import { randomUUID } from 'node:crypto';
import { Check, Entity, Enum, ManyToOne, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TimestampProperty } from './columns.js';
import { AssetPurpose, Network } from './enums.js';
import { Site } from './site.entity.js';
import { SiteScoped } from './site-scope.js';

/**
 * A token a site takes payments in (PAYMENT) or pays out (DISTRIBUTION). Its `decimals` drive every
 * amount conversion of that asset, so they cannot change once set (services refuse it).
 */
@Entity({ tableName: 'asset' })
@SiteScoped()
@Unique({ name: 'asset_site_network_contract_unique', properties: ['site', 'network', 'contractAddress'] })
@Check({ name: 'asset_decimals_range', expression: 'decimals >= 0 and decimals <= 36' })
@Check({ name: 'asset_confirmations_range', expression: 'confirmations_required >= 0 and confirmations_required <= 10000' })
export class Asset {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @ManyToOne(() => Site, { deleteRule: 'restrict' })
  site!: Site;

  @Enum({ items: () => Network, nativeEnumName: 'network' })
  network!: Network;

  @Property({ type: 'text' })
  symbol!: string;

  @Property({ type: 'smallint' })
  decimals!: number;

  /** Canonical form (EIP-55 hex, or base58 T… for TRON), so uniqueness cannot be dodged by case. */
  @Property({ type: 'text' })
  contractAddress!: string;

  @Enum({ items: () => AssetPurpose, nativeEnumName: 'asset_purpose' })
  purpose!: AssetPurpose;

  @Property({ type: 'text', nullable: true })
  custodyAssetId: string | null = null;

  @Property({ type: 'integer' })
  confirmationsRequired!: number;

  @Property({ type: 'boolean' })
  active: boolean = true;

  @TimestampProperty()
  createdAt: Date = new Date();

  @TimestampProperty({ onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
