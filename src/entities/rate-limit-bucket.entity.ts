import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/decorators/legacy';
import { TimestampProperty } from './columns.js';

/**
 * A fixed-window counter shared by every process (login failures per IP and per email+IP).
 * Updated only by one atomic upsert in services/rate-limit; expired rows are pruned by a job.
 */
@Entity({ tableName: 'rate_limit_bucket' })
export class RateLimitBucket {
  @PrimaryKey({ type: 'text' })
  key!: string;

  @Property({ type: 'integer' })
  hits!: number;

  @TimestampProperty()
  @Index({ name: 'rate_limit_bucket_expires_at_index' })
  expiresAt!: Date;
}
