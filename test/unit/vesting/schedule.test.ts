import fc from 'fast-check';
import { ScheduleError, vestingSchedule, type VestingTerms } from '../../../src/services/vesting/schedule.js';
import { fromBaseUnits, toBaseUnits } from '../../../src/services/money/amount.js';

const START = new Date('2027-01-01T00:00:00.000Z');
const day = (n: number) => new Date(START.getTime() + n * 86_400_000).toISOString();

describe('vestingSchedule: the worked examples of docs/vesting.md', () => {
  it('1,000,000.000001 tokens (6 decimals), 10% TGE, 30-day cliff, 12 monthly periods', () => {
    const total = toBaseUnits('1000000.000001', 6);
    const s = vestingSchedule(total, { tgeBps: 1000, cliffDays: 30, periods: 12, periodDays: 30 }, START);
    expect(s).toHaveLength(13);
    expect(s.map((r) => [r.index, fromBaseUnits(r.amount, 6), r.unlockAt.toISOString()])).toEqual([
      [0, '100000', day(0)],
      ...Array.from({ length: 11 }, (_, i) => [i + 1, '75000', day(30 + (i + 1) * 30)]),
      [12, '75000.000001', day(30 + 12 * 30)],
    ]);
  });

  it('10% at TGE, 90-day cliff, then 12 monthly unlocks of 1000 tokens (18 decimals): the first monthly unlock is one period after the cliff', () => {
    const s = vestingSchedule(toBaseUnits('1000', 18), { tgeBps: 1000, cliffDays: 90, periods: 12, periodDays: 30 }, START);
    expect(s[0]).toEqual({ index: 0, amount: toBaseUnits('100', 18), unlockAt: START });
    expect(s[1]!.unlockAt.toISOString()).toBe(day(120));
    expect(s[12]!.unlockAt.toISOString()).toBe(day(450));
    expect(s.slice(1).map((r) => fromBaseUnits(r.amount, 18))).toEqual(Array(12).fill('75'));
  });

  it('no TGE share: no TGE release, the first release is index 0', () => {
    const s = vestingSchedule(1000n, { tgeBps: 0, cliffDays: 0, periods: 4, periodDays: 7 }, START);
    expect(s.map((r) => [r.index, r.amount, r.unlockAt.toISOString()])).toEqual([
      [0, 250n, day(7)],
      [1, 250n, day(14)],
      [2, 250n, day(21)],
      [3, 250n, day(28)],
    ]);
  });

  it('everything at TGE: one release', () => {
    expect(vestingSchedule(999n, { tgeBps: 10000, cliffDays: 10, periods: 3, periodDays: 1 }, START)).toEqual([{ index: 0, amount: 999n, unlockAt: START }]);
  });

  it('a total smaller than the periods: the zero releases are left out and the last one takes the rest', () => {
    const s = vestingSchedule(5n, { tgeBps: 1000, cliffDays: 0, periods: 12, periodDays: 30 }, START);
    // TGE floor(0.5) = 0 is dropped; 11 periodic releases of floor(5/12) = 0 are dropped.
    expect(s).toEqual([{ index: 0, amount: 5n, unlockAt: new Date(day(360)) }]);
  });

  it('refuses terms out of range and a total that is not positive', () => {
    const ok: VestingTerms = { tgeBps: 1000, cliffDays: 0, periods: 1, periodDays: 1 };
    for (const bad of [{ tgeBps: 10001 }, { tgeBps: -1 }, { periods: 0 }, { periods: 601 }, { cliffDays: -1 }, { periodDays: 0 }, { periods: 1.5 }]) {
      expect(() => vestingSchedule(100n, { ...ok, ...bad }, START)).toThrow(ScheduleError);
    }
    expect(() => vestingSchedule(0n, ok, START)).toThrow(ScheduleError);
    expect(() => vestingSchedule(-1n, ok, START)).toThrow(ScheduleError);
  });
});

describe('vestingSchedule: properties', () => {
  const terms = fc.record({ tgeBps: fc.integer({ min: 0, max: 10000 }), cliffDays: fc.integer({ min: 0, max: 3660 }), periods: fc.integer({ min: 1, max: 600 }), periodDays: fc.integer({ min: 1, max: 3660 }) });
  const totals = fc.tuple(fc.integer({ min: 0, max: 18 }), fc.bigInt({ min: 1n, max: 10n ** 30n })).map(([decimals, units]) => ({ decimals, units }));

  it('sums to the total exactly, every amount positive, unlock times strictly increasing, the last release is the total minus the others', () => {
    fc.assert(
      fc.property(totals, terms, ({ units }, t) => {
        const s = vestingSchedule(units, t, START);
        expect(s.reduce((a, r) => a + r.amount, 0n)).toBe(units);
        expect(s.every((r) => r.amount > 0n)).toBe(true);
        for (let i = 1; i < s.length; i++) expect(s[i]!.unlockAt.getTime()).toBeGreaterThan(s[i - 1]!.unlockAt.getTime());
        expect(s.map((r) => r.index)).toEqual(s.map((_, i) => i));
        expect(s.at(-1)!.amount).toBe(units - s.slice(0, -1).reduce((a, r) => a + r.amount, 0n));
      }),
      { numRuns: 300 },
    );
  });

  it('has a TGE release when its share is not zero, and periods releases when a period is not zero (else the last one alone)', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 10n ** 12n, max: 10n ** 30n }), terms, (units, t) => {
        const tge = (units * BigInt(t.tgeBps)) / 10000n;
        const s = vestingSchedule(units, t, START);
        const rest = units - tge;
        const periodic = rest === 0n ? 0 : rest / BigInt(t.periods) > 0n ? t.periods : 1;
        const expected = (tge > 0n ? 1 : 0) + periodic;
        expect(s).toHaveLength(expected);
        if (tge > 0n) expect(s[0]).toEqual({ index: 0, amount: tge, unlockAt: START });
      }),
      { numRuns: 300 },
    );
  });
});
