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

  // Generated from the grammar in docs/api.md, digit by digit, not from the implementation's pattern:
  // a whole part that is "0" or has no leading zero, then optionally a point and at least one digit;
  // at most 78 digits on each side (uint256).
  const digit = fc.constantFrom(...'0123456789');
  const nonZeroDigit = fc.constantFrom(...'123456789');
  const digits = (min: number, max: number) => fc.array(digit, { minLength: min, maxLength: max }).map((d) => d.join(''));
  const whole = fc.oneof(fc.constant('0'), fc.tuple(nonZeroDigit, digits(0, 77)).map(([h, t]) => h + t));
  const fraction = digits(1, 78);
  const decimal = fc.tuple(whole, fc.option(fraction, { nil: undefined })).map(([w, f]) => (f === undefined ? w : `${w}.${f}`));
  const refused = (v: unknown) => expect(() => DecimalScalar.parseValue(v)).toThrow(expect.objectContaining({ extensions: { code: 'BAD_USER_INPUT' } }));

  it('accepts every decimal the grammar allows, as the same string, from variables and literals', () => {
    fc.assert(
      fc.property(decimal, (v) => {
        expect(DecimalScalar.parseValue(v)).toBe(v);
        expect(DecimalScalar.parseLiteral({ kind: Kind.STRING, value: v })).toBe(v);
      }),
      { numRuns: 500 },
    );
  });

  it('accepts amounts below one: 0.xxx, zeros after the point included', () => {
    fc.assert(
      fc.property(fraction, (f) => {
        expect(DecimalScalar.parseValue(`0.${f}`)).toBe(`0.${f}`);
      }),
    );
    for (const v of ['0.0', '0.000001', '0.10', `0.${'0'.repeat(77)}1`]) expect(DecimalScalar.parseValue(v)).toBe(v);
  });

  it('takes 78 digits on either side of the point and refuses 79', () => {
    const n = (len: number) => '1'.repeat(len);
    expect(DecimalScalar.parseValue(n(78))).toBe(n(78));
    expect(DecimalScalar.parseValue(`0.${n(78)}`)).toBe(`0.${n(78)}`);
    refused(n(79));
    refused(`0.${n(79)}`);
  });

  // Each shape breaks exactly one rule of the grammar, around a valid decimal.
  const badShapes: [string, fc.Arbitrary<string>][] = [
    ['a sign', fc.tuple(fc.constantFrom('-', '+'), decimal).map(([s, v]) => s + v)],
    ['a leading zero', fc.tuple(fc.constantFrom('0', '00'), decimal).map(([z, v]) => z + v)],
    ['an exponent', fc.tuple(decimal, fc.constantFrom('e', 'E'), fc.constantFrom('', '-', '+'), digits(1, 3)).map(([v, e, s, x]) => v + e + s + x)],
    ['whitespace', fc.tuple(fc.constantFrom(' ', '\t', '\n', '\u00a0'), decimal, fc.boolean()).map(([w, v, before]) => (before ? w + v : v + w))],
    ['a bare point', fc.oneof(whole.map((w) => `${w}.`), fraction.map((f) => `.${f}`))],
    ['a second point', fc.tuple(whole, fraction, fraction).map(([w, a, b]) => `${w}.${a}.${b}`)],
    ['another separator', fc.tuple(whole, fc.constantFrom(',', '_', "'", ' '), fraction).map(([w, sep, f]) => `${w}${sep}${f}`)],
    ['a digit that is not ASCII', fc.tuple(decimal, fc.constantFrom('\u0661', '\uff11', '\u09e7')).map(([v, d]) => v + d)],
    ['a letter', fc.tuple(decimal, fc.constantFrom('a', 'x', 'O', 'l')).map(([v, c]) => v + c)],
    ['a hex or octal prefix', fc.tuple(fc.constantFrom('0x', '0o', '0b'), digits(1, 10)).map(([p, d]) => p + d)],
  ];

  it.each(badShapes)('refuses a decimal with %s', (_what, bad) => {
    fc.assert(fc.property(bad, refused), { numRuns: 200 });
  });

  it('refuses every value that is not a string, numbers that look exact included', () => {
    fc.assert(
      fc.property(fc.oneof(fc.double(), fc.integer(), fc.bigInt(), fc.boolean(), fc.constant(null), fc.constant(undefined), fc.array(fc.string()), fc.object()), refused),
    );
  });

  it('refuses a number literal even when it looks exact', () => {
    expect(() => DecimalScalar.parseLiteral({ kind: Kind.FLOAT, value: '1.5' })).toThrow(/string/);
    expect(() => DecimalScalar.parseLiteral({ kind: Kind.INT, value: '15' })).toThrow(/string/);
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
