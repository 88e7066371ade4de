import { Entity, Enum, Property } from '@mikro-orm/decorators/legacy';
import { TimestampProperty } from './columns.js';
import { Network } from './enums.js';

/** How far the deposit watcher of a network has scanned (Ethereum: the last block whose logs were read). Platform-wide. */
@Entity({ tableName: 'chain_cursor' })
export class ChainCursor {
  @Enum({ items: () => Network, nativeEnumName: 'network', primary: true })
  network!: Network;

  @Property({ type: 'bigint' })
  block!: string;

  @TimestampProperty({ onUpdate: () => new Date() })
  updatedAt: Date = new Date();
}
