import { InvalidInputError } from '../errors.js';

/** Largest scale any supported asset uses; also bounds the work a hostile input can cause. */
export const MAX_DECIMALS = 36;
const DECIMAL = /^(0|[1-9]\d*)(?:\.(\d+))?$/;

/**
 * The one decimal grammar of the API: unsigned, no exponent, spaces or leading zeros, no bare dot.
 * Returns the digits on each side of the point, or null.
 */
export function splitDecimal(value: unknown): { whole: string; fraction: string } | null {
  const m = typeof value === 'string' ? DECIMAL.exec(value) : null;
  return m ? { whole: m[1]!, fraction: m[2] ?? '' } : null;
}

export class InvalidAmountError extends InvalidInputError {}

/**
 * "1250.000001" at 6 decimals -> 1250000001n. Exact: no floats anywhere. Refuses signs, exponents,
 * whitespace, leading zeros, a bare dot, and more fractional digits than the asset has.
 */
export function toBaseUnits(amount: string, decimals: number, field = 'amount'): bigint {
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > MAX_DECIMALS) throw new RangeError(`decimals ${decimals} out of range`);
  if (typeof amount !== 'string' || amount.length > 100) throw new InvalidAmountError(`${field} must be a decimal string`, { field });
  const parts = splitDecimal(amount);
  if (!parts) throw new InvalidAmountError(`${field} must be a non-negative decimal like "12.5", without sign, exponent or spaces`, { field });
  const { whole, fraction } = parts;
  if (fraction.length > decimals) {
    throw new InvalidAmountError(`${field} has ${fraction.length} fractional digits; this asset allows ${decimals}`, { field, decimals });
  }
  return BigInt(whole + fraction.padEnd(decimals, '0'));
}

/** 1250000001n at 6 decimals -> "1250.000001"; trailing zeros dropped, so it round-trips with toBaseUnits. */
export function fromBaseUnits(units: bigint | string, decimals: number): string {
  const n = typeof units === 'bigint' ? units : BigInt(units);
  if (n < 0n) throw new RangeError('negative amount');
  if (decimals === 0) return n.toString();
  const s = n.toString().padStart(decimals + 1, '0');
  const whole = s.slice(0, -decimals);
  const fraction = s.slice(-decimals).replace(/0+$/, '');
  return fraction ? `${whole}.${fraction}` : whole;
}

/** Positive amount (zero refused), for prices and payments. */
export function toPositiveBaseUnits(amount: string, decimals: number, field = 'amount'): bigint {
  const n = toBaseUnits(amount, decimals, field);
  if (n === 0n) throw new InvalidAmountError(`${field} must be greater than zero`, { field });
  return n;
}
