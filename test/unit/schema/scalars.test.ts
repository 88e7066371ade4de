import fc from 'fast-check';
import { Kind } from 'graphql';
import { DateTimeScalar } from '../../../src/schema/scalars/date-time.scalar.js';
import { DecimalScalar } from '../../../src/schema/scalars/decimal.scalar.js';

describe('Decimal scalar', () => {
  it.each(['0', '1', '1250.000001', '0.5', '115792089237316195423570985008687907853269984665640564039457584007913129639935'])('accepts %s', (v) => {
    expect(DecimalScalar.parseValue(v)).toBe(v);
    expect(DecimalScalar.parseLiteral({ kind: Kind.STRING, value: v })).toBe(v);
  });

  it.each([['-1'], ['+1'], ['1e5'], [' 1'], ['1 '], ['01'], ['1.'], ['.5'], ['abc'], [''], ['NaN'], ['Infinity'], ['1,5'], [1.5], [10], [null], [true]])(
    'refuses %j with BAD_USER_INPUT',
    (v) => {
      expect(() => DecimalScalar.parseValue(v)).toThrow(expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } }));
    },
  );

  it('refuses a number literal even when it looks exact', () => {
    expect(() => DecimalScalar.parseLiteral({ kind: Kind.FLOAT, value: '1.5' })).toThrow(/string/);
  });

  it('accepts every canonical non-negative decimal and nothing with a sign', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 40n }), fc.nat({ max: 18 }), (n, scale) => {
        const s = n.toString();
        const v = scale && s.length > scale ? `${s.slice(0, -scale) || '0'}.${s.slice(-scale)}` : s;
        const canonical = /^(0|[1-9]\d*)(\.\d+)?$/.test(v);
        if (canonical) expect(DecimalScalar.parseValue(v)).toBe(v);
        expect(() => DecimalScalar.parseValue(`-${v}`)).toThrow();
      }),
    );
  });

  it('serializes strings and bigints only', () => {
    expect(DecimalScalar.serialize(12n)).toBe('12');
    expect(() => DecimalScalar.serialize(1.5)).toThrow();
  });
});

describe('DateTime scalar', () => {
  it('parses ISO-8601 with a zone and serializes to UTC', () => {
    const d = DateTimeScalar.parseValue('2026-11-22T15:00:00.000+01:00');
    expect(DateTimeScalar.serialize(d)).toBe('2026-11-22T14:00:00.000Z');
  });

  it.each(['2026-11-22', '2026-11-22T14:00:00', 'yesterday', '2026-13-40T00:00:00Z', 1700000000])('refuses %j', (v) => {
    expect(() => DateTimeScalar.parseValue(v)).toThrow(expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } }));
  });
});
