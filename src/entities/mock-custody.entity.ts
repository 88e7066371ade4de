import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/decorators/legacy';
import { TimestampProperty } from './columns.js';

/**
 * The MOCK custody simulator's transactions (PAYOUT_MODE=MOCK), in the database so every process of a
 * deployment sees the same ones: a lookup from the reconcile job in a worker finds what the API
 * process submitted, and a restart forgets nothing. Never used in LIVE mode.
 */
@Entity({ tableName: 'mock_custody_tx' })
@Unique({ name: 'mock_custody_tx_external_unique', properties: ['externalTxId'] })
export class MockCustodyTx {
  @PrimaryKey({ type: 'text' })
  id!: string;

  @Property({ type: 'text' })
  externalTxId!: string;

  @Property({ type: 'text' })
  assetId!: string;

  /** Whole units, as submitted. */
  @Property({ type: 'text' })
  amount!: string;

  @Property({ type: 'text' })
  destination!: string;

  /** Told to fail: it ends FAILED instead of COMPLETED. */
  @Property({ type: 'boolean' })
  fail: boolean = false;

  @Property({ type: 'text' })
  txHash!: string;

  @TimestampProperty()
  createdAt: Date = new Date();
}

/** The simulator's webhook signing key, shared by every process (its public half is the JWKS the API trusts in MOCK mode). */
@Entity({ tableName: 'mock_custody_key' })
export class MockCustodyKey {
  @PrimaryKey({ type: 'text' })
  kid!: string;

  @Property({ type: 'jsonb' })
  privateJwk!: Record<string, unknown>;

  @Property({ type: 'jsonb' })
  publicJwk!: Record<string, unknown>;

  @TimestampProperty()
  createdAt: Date = new Date();
}
