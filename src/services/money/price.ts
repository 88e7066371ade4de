import { fromBaseUnits, MAX_DECIMALS, splitDecimal, toBaseUnits } from './amount.js';
import { InvalidInputError } from '../errors.js';

/**
 * Prices (docs/architecture.md, Money). A price is an exact decimal: payment-asset whole units per ONE whole
 * distribution token, held as an integer times 10^18 — the scale of the `site.token_price` NUMERIC(38,18)
 * column, so no migration and no rounding between the column and this type. Parsed and formatted with the
 * one decimal grammar of amount.ts; no floats, no Number on money.
 */
export const PRICE_SCALE = 18;
export interface Price {
  readonly units: bigint;
  readonly scale: typeof PRICE_SCALE;
}

/** NUMERIC(38,18): 38 significant digits, 18 of them after the point, so at most 20 before it. */
const COLUMN_PRECISION = 38;
const MAX_PRICE_UNITS = 10n ** BigInt(COLUMN_PRECISION) - 1n;

export class InvalidPriceError extends InvalidInputError {}

/** "0.05" -> { units: 50000000000000000n, scale: 18 }. BAD_USER_INPUT unless a positive decimal that fits NUMERIC(38,18). */
export function parsePrice(value: string, field = 'tokenPrice'): Price {
  const parts = splitDecimal(value);
  if (!parts) throw new InvalidPriceError(`${field} must be a positive decimal like "0.05", without sign, exponent or spaces`, { field });
  if (parts.fraction.length > PRICE_SCALE) {
    throw new InvalidPriceError(`${field} has ${parts.fraction.length} fractional digits; a price allows ${PRICE_SCALE}`, { field, decimals: PRICE_SCALE });
  }
  if (parts.whole.length > COLUMN_PRECISION - PRICE_SCALE) {
    throw new InvalidPriceError(`${field} is too large: at most ${COLUMN_PRECISION - PRICE_SCALE} digits before the point`, { field });
  }
  const units = toBaseUnits(value, PRICE_SCALE, field);
  if (units === 0n) throw new InvalidPriceError(`${field} must be greater than zero`, { field });
  return { units, scale: PRICE_SCALE };
}

/** The API's form: { units: 50000000000000000n } -> "0.05" (trailing zeros trimmed). Round-trips with parsePrice. */
export function formatPrice(price: Price): string {
  assertPrice(price);
  return fromBaseUnits(price.units, price.scale);
}

/**
 * What the pg driver returns for a NUMERIC(38,18) column ("0.050000000000000000"). A value that is not a
 * positive decimal of at most 18 fractional digits is corrupt data, not user input: a plain (internal) Error.
 */
export function priceFromColumn(value: string): Price {
  const units = decimalColumnToUnits(value, PRICE_SCALE);
  if (units === 0n || units > MAX_PRICE_UNITS) throw new Error(`stored price ${JSON.stringify(value)} is not a positive NUMERIC(38,18)`);
  return { units, scale: PRICE_SCALE };
}

/**
 * Any NUMERIC(p, scale) column value in whole units (e.g. site.min_order_amount, in payment whole units)
 * as the API shows it: exact, trailing zeros trimmed ("100.000000000000000000" -> "100").
 */
export function formatDecimalColumn(value: string, scale: number): string {
  return fromBaseUnits(decimalColumnToUnits(value, scale), scale);
}

function decimalColumnToUnits(value: string, scale: number): bigint {
  if (!Number.isInteger(scale) || scale < 0 || scale > MAX_DECIMALS) throw new RangeError(`scale ${scale} out of range`);
  const parts = splitDecimal(value);
  if (!parts || parts.fraction.length > scale) throw new Error(`stored value ${JSON.stringify(value)} is not a non-negative NUMERIC with scale ${scale}`);
  return toBaseUnits(value, scale);
}

/**
 * Distribution-token base units bought by a payment: floor(amount / price) at the token's decimals, in
 * integers only: floor(paymentBase * 10^tokenDecimals * 10^scale / (price.units * 10^paymentDecimals)).
 * Never rounds up, so tokens * price <= amount always holds exactly.
 */
export function tokensForPayment(paymentBaseUnits: bigint, paymentDecimals: number, price: Price, tokenDecimals: number): bigint {
  if (paymentBaseUnits < 0n) throw new RangeError('negative payment');
  assertDecimals(paymentDecimals);
  assertDecimals(tokenDecimals);
  assertPrice(price);
  const numerator = paymentBaseUnits * 10n ** BigInt(tokenDecimals) * 10n ** BigInt(price.scale);
  const denominator = price.units * 10n ** BigInt(paymentDecimals);
  return numerator / denominator; // both non-negative: bigint division truncates, i.e. floors
}

function assertDecimals(d: number): void {
  if (!Number.isInteger(d) || d < 0 || d > MAX_DECIMALS) throw new RangeError(`decimals ${d} out of range`);
}

function assertPrice(price: Price): void {
  if (price.scale !== PRICE_SCALE || typeof price.units !== 'bigint' || price.units <= 0n || price.units > MAX_PRICE_UNITS) {
    throw new RangeError('not a valid price');
  }
}
