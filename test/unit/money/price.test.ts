import fc from 'fast-check';
import { DomainError, InvalidInputError } from '../../../src/services/errors.js';
import { toBaseUnits } from '../../../src/services/money/amount.js';
import { formatDecimalColumn, formatPrice, parsePrice, type Price, priceFromColumn, tokensForPayment } from '../../../src/services/money/price.js';

const MAX_UNITS = 10n ** 38n - 1n; // NUMERIC(38,18)
const RUNS = 2000;

const price = (s: string): Price => parsePrice(s);
/** Prices across the whole column range, with realistic ones (a few significant digits) mixed in. */
const arbPrice = fc.oneof(
  fc.bigInt({ min: 1n, max: MAX_UNITS }),
  fc.tuple(fc.bigInt({ min: 1n, max: 99_999n }), fc.integer({ min: 0, max: 33 })).map(([m, e]) => m * 10n ** BigInt(e)),
).map((units): Price => ({ units, scale: 18 }));
const arbDecimals = fc.integer({ min: 0, max: 18 });
const arbPayment = fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }));

/** tokens (token base units) * price <=> payment (payment base units), both sides scaled to integers. */
function compareCost(tokens: bigint, td: number, p: Price, payment: bigint, pd: number): -1 | 0 | 1 {
  const cost = tokens * p.units * 10n ** BigInt(pd);
  const paid = payment * 10n ** BigInt(td) * 10n ** BigInt(p.scale);
  return cost < paid ? -1 : cost > paid ? 1 : 0;
}

describe('tokensForPayment', () => {
  it('100 USDT (6 dp) at 0.05 buys exactly 2000 tokens of an 18-dp token', () => {
    expect(tokensForPayment(toBaseUnits('100', 6), 6, price('0.05'), 18)).toBe(toBaseUnits('2000', 18));
  });

  it('floors when the price does not divide the amount', () => {
    // 1 USDT / 0.03 = 33.333... -> 33.333333 at 6 dp
    expect(tokensForPayment(toBaseUnits('1', 6), 6, price('0.03'), 6)).toBe(33_333_333n);
    // 10 units / 3 = 3.33... -> 3 whole tokens of a 0-dp token
    expect(tokensForPayment(10n, 0, price('3'), 0)).toBe(3n);
    // less than one token base unit's worth buys nothing
    expect(tokensForPayment(1n, 6, price('2'), 0)).toBe(0n);
  });

  it('handles payment decimals above token decimals and tiny prices', () => {
    // 0.5 ETH (18 dp) at 0.000000000000000001 per token (2 dp): 5e17 tokens
    expect(tokensForPayment(toBaseUnits('0.5', 18), 18, price('0.000000000000000001'), 2)).toBe(5n * 10n ** 17n * 100n);
    expect(tokensForPayment(0n, 6, price('0.05'), 18)).toBe(0n);
  });

  it('refuses a negative payment and out-of-range decimals', () => {
    expect(() => tokensForPayment(-1n, 6, price('1'), 18)).toThrow(RangeError);
    expect(() => tokensForPayment(1n, -1, price('1'), 18)).toThrow(RangeError);
    expect(() => tokensForPayment(1n, 6, price('1'), 1.5)).toThrow(RangeError);
    expect(() => tokensForPayment(1n, 6, { units: 0n, scale: 18 }, 18)).toThrow(RangeError);
  });

  it('never sells more than was paid for, and one more token base unit would cost more than was paid', () => {
    fc.assert(
      fc.property(arbPayment, arbDecimals, arbPrice, arbDecimals, (payment, pd, p, td) => {
        const tokens = tokensForPayment(payment, pd, p, td);
        expect(tokens >= 0n).toBe(true);
        expect(compareCost(tokens, td, p, payment, pd)).toBeLessThanOrEqual(0);
        expect(compareCost(tokens + 1n, td, p, payment, pd)).toBe(1);
      }),
      { numRuns: RUNS },
    );
  });

  it('is monotonic in the payment', () => {
    fc.assert(
      fc.property(arbPayment, fc.bigInt({ min: 0n, max: 10n ** 30n }), arbDecimals, arbPrice, arbDecimals, (a, extra, pd, p, td) => {
        expect(tokensForPayment(a + extra, pd, p, td) >= tokensForPayment(a, pd, p, td)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('parsePrice / formatPrice', () => {
  it.each([
    ['0.05', 50_000_000_000_000_000n],
    ['1', 10n ** 18n],
    ['0.000000000000000001', 1n],
    ['99999999999999999999.999999999999999999', MAX_UNITS],
    ['2.500', 25n * 10n ** 17n],
  ])('parses %s', (s, units) => {
    expect(parsePrice(s)).toEqual({ units, scale: 18 });
  });

  it.each([
    ['0', /greater than zero/],
    ['0.000', /greater than zero/],
    ['-1', /positive decimal/],
    ['-0.05', /positive decimal/],
    ['+1', /positive decimal/],
    ['1e6', /positive decimal/],
    ['1E-2', /positive decimal/],
    ['0.0000000000000000001', /19 fractional digits; a price allows 18/],
    ['100000000000000000000', /too large/],
    ['', /positive decimal/],
    [' ', /positive decimal/],
    [' 1', /positive decimal/],
    ['1 ', /positive decimal/],
    ['1. 5', /positive decimal/],
    ['.5', /positive decimal/],
    ['5.', /positive decimal/],
    ['01', /positive decimal/],
    ['0x10', /positive decimal/],
    ['NaN', /positive decimal/],
    ['Infinity', /positive decimal/],
  ])('refuses %j as BAD_USER_INPUT', (s, message) => {
    expect(() => parsePrice(s)).toThrow(expect.any(InvalidInputError));
    expect(() => parsePrice(s)).toThrow(message);
  });

  it('refuses non-strings (a number would have come through a float)', () => {
    expect(() => parsePrice(0.05 as unknown as string)).toThrow(expect.any(InvalidInputError));
  });

  it('formats with trailing zeros trimmed', () => {
    expect(formatPrice(price('0.050'))).toBe('0.05');
    expect(formatPrice(price('2000.000000000000000000'))).toBe('2000');
    expect(formatPrice({ units: 1n, scale: 18 })).toBe('0.000000000000000001');
  });

  it('round-trips every price (units -> string -> units)', () => {
    fc.assert(
      fc.property(arbPrice, (p) => {
        expect(parsePrice(formatPrice(p))).toEqual(p);
      }),
      { numRuns: RUNS },
    );
  });

  it('round-trips every canonical decimal string, and trims any trailing zeros', () => {
    const digits = (min: number, max: number) => fc.array(fc.constantFrom(...'0123456789'), { minLength: min, maxLength: max }).map((a) => a.join(''));
    const arbCanonical = fc
      .tuple(fc.oneof(fc.constant('0'), fc.tuple(fc.constantFrom(...'123456789'), digits(0, 19)).map(([h, t]) => h + t)), digits(0, 18))
      .map(([whole, frac]) => ({ whole, frac: frac.replace(/0+$/, '') }))
      .filter(({ whole, frac }) => whole !== '0' || frac !== '');
    fc.assert(
      fc.property(arbCanonical, fc.nat(6), ({ whole, frac }, pad) => {
        const s = frac ? `${whole}.${frac}` : whole;
        expect(formatPrice(parsePrice(s))).toBe(s);
        const padded = `${whole}.${frac}${'0'.repeat(pad)}`;
        if (frac.length + pad <= 18 && (frac || pad)) expect(formatPrice(parsePrice(padded))).toBe(s);
      }),
      { numRuns: RUNS },
    );
  });

  it('either parses or refuses with BAD_USER_INPUT, for any string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[-+ .eE0-9]{0,45}$/)), (s) => {
        let p: Price;
        try {
          p = parsePrice(s);
        } catch (e) {
          expect(e).toBeInstanceOf(InvalidInputError);
          return;
        }
        expect(p.units > 0n && p.units <= MAX_UNITS).toBe(true);
        expect(/^(0|[1-9]\d*)(\.\d+)?$/.test(s)).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('column values (pg returns NUMERIC(38,18) as a string with the full scale)', () => {
  it('reads a price column', () => {
    expect(priceFromColumn('0.050000000000000000')).toEqual(price('0.05'));
    expect(formatPrice(priceFromColumn('2000.000000000000000000'))).toBe('2000');
  });

  it('treats a stored zero, negative or malformed price as corrupt data (internal error, not user input)', () => {
    for (const v of ['0.000000000000000000', '-1.000000000000000000', 'NaN', '1e3', '']) {
      expect(() => priceFromColumn(v)).toThrow();
      try {
        priceFromColumn(v);
      } catch (e) {
        expect(e).not.toBeInstanceOf(DomainError);
      }
    }
  });

  it('formats amount columns exactly as the old trimming did', () => {
    const trimDecimal = (v: string) => (v.includes('.') ? v.replace(/0+$/, '').replace(/\.$/, '') : v);
    for (const v of ['100.000000000000000000', '0.000000000000000000', '0.500000000000000000', '12345678901234567890.123456789012345678', '7']) {
      expect(formatDecimalColumn(v, 18)).toBe(trimDecimal(v));
    }
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: MAX_UNITS }), (n) => {
        const s = n.toString().padStart(19, '0');
        const column = `${s.slice(0, -18)}.${s.slice(-18)}`;
        expect(formatDecimalColumn(column, 18)).toBe(trimDecimal(column));
        if (n > 0n) expect(formatPrice(priceFromColumn(column))).toBe(trimDecimal(column));
      }),
      { numRuns: RUNS },
    );
  });
});
