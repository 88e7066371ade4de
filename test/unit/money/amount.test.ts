import fc from 'fast-check';
import { InvalidInputError } from '../../../src/services/errors.js';
import { fromBaseUnits, toBaseUnits, toPositiveBaseUnits } from '../../../src/services/money/amount.js';

describe('toBaseUnits / fromBaseUnits', () => {
  it.each([
    ['1250.000001', 6, 1250000001n],
    ['0', 6, 0n],
    ['0.1', 18, 100000000000000000n],
    ['42', 0, 42n],
    ['115792089237316195423570985008687907853269984665640564039457584007913129639935', 0, 2n ** 256n - 1n],
  ])('%s at %i decimals is %s', (s, d, n) => {
    expect(toBaseUnits(s, d)).toBe(n);
  });

  it.each(['-1', '+1', '1e6', '1E6', ' 1', '1 ', '01', '1.', '.5', '1..2', '1,5', 'abc', '', 'NaN', 'Infinity', '0x10', '١٢'])('refuses %j', (s) => {
    expect(() => toBaseUnits(s, 6)).toThrow(expect.any(InvalidInputError));
  });

  it('refuses more fractional digits than the asset has, naming the limit', () => {
    expect(() => toBaseUnits('1.0000001', 6)).toThrow(/7 fractional digits; this asset allows 6/);
    expect(() => toBaseUnits('1.5', 0)).toThrow(/allows 0/);
  });

  it('refuses zero where a positive amount is required', () => {
    expect(() => toPositiveBaseUnits('0.000', 6)).toThrow(/greater than zero/);
    expect(toPositiveBaseUnits('0.000001', 6)).toBe(1n);
  });

  it('formats without trailing zeros', () => {
    expect(fromBaseUnits(1250000000n, 6)).toBe('1250');
    expect(fromBaseUnits(1n, 6)).toBe('0.000001');
    expect(fromBaseUnits('100', 2)).toBe('1');
    expect(fromBaseUnits(0n, 18)).toBe('0');
  });

  it('round-trips every amount at every scale', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }), fc.integer({ min: 0, max: 36 }), (n, d) => {
        expect(toBaseUnits(fromBaseUnits(n, d), d)).toBe(n);
      }),
    );
  });

  it('is exact where floats are not', () => {
    expect(toBaseUnits('0.3', 18) - toBaseUnits('0.1', 18) - toBaseUnits('0.2', 18)).toBe(0n);
  });
});
