import { Property } from '@mikro-orm/decorators/legacy';

/**
 * Money is stored as an integer count of the asset's base units in NUMERIC(78,0): wide enough for any
 * uint256, exact, and mapped to a string so no JavaScript number ever touches it. Convert with
 * BigInt() in the domain; never parseFloat.
 */
export function AmountProperty(options: { nullable?: boolean; default?: string; fieldName?: string } = {}): PropertyDecorator {
  return Property({ type: 'decimal', precision: 78, scale: 0, ...options }) as PropertyDecorator;
}

/** Timestamps are always timestamptz, so no server time zone can shift them. */
export function TimestampProperty(options: { nullable?: boolean; onUpdate?: () => Date; fieldName?: string } = {}): PropertyDecorator {
  return Property({ type: 'timestamptz', ...options }) as PropertyDecorator;
}
