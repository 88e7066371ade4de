/** The terms a schedule is cut by (a VestingPlan's, as copied onto an allocation). */
export interface VestingTerms {
  /** Share unlocked at the start, in basis points (0-10000). */
  tgeBps: number;
  cliffDays: number;
  periods: number;
  periodDays: number;
}

export interface ScheduledRelease {
  /** 0-based position among the releases actually created (zero amounts are left out). */
  index: number;
  amount: bigint;
  unlockAt: Date;
}

const DAY_MS = 86_400_000;
const BPS = 10_000n;

export class ScheduleError extends Error {}

function checkTerms(t: VestingTerms): void {
  const int = (v: number, min: number, max: number) => Number.isInteger(v) && v >= min && v <= max;
  if (!int(t.tgeBps, 0, 10_000) || !int(t.cliffDays, 0, 3660) || !int(t.periods, 1, 600) || !int(t.periodDays, 1, 3660)) {
    throw new ScheduleError(`vesting terms out of range: ${JSON.stringify(t)}`);
  }
}

/**
 * An allocation's schedule (docs/vesting.md), in integers only:
 * - the TGE release, floor(total * tgeBps / 10000), at `startAt`;
 * - then `periods` releases, release k (1..periods) at startAt + cliffDays + k * periodDays (days of
 *   24 hours, in UTC): the first periodic unlock is one period after the cliff ends;
 * - each periodic release is floor(rest / periods), and the last one takes total minus all the
 *   others, so the amounts add up to the total exactly.
 * Releases of amount zero are not created (a tiny total can have fewer releases than periods + 1).
 * Throws if the sum is not the total, which cannot happen unless this function is broken: the caller's
 * transaction then aborts rather than store a schedule that pays out more or less than was bought.
 */
export function vestingSchedule(total: bigint, terms: VestingTerms, startAt: Date): ScheduledRelease[] {
  if (total <= 0n) throw new ScheduleError(`total must be positive, got ${total}`);
  checkTerms(terms);
  const start = startAt.getTime();
  if (!Number.isFinite(start)) throw new ScheduleError('startAt is not a date');
  const tge = (total * BigInt(terms.tgeBps)) / BPS;
  const rest = total - tge;
  const each = rest / BigInt(terms.periods);
  const raw: { amount: bigint; at: number }[] = [{ amount: tge, at: start }];
  for (let k = 1; k <= terms.periods; k++) {
    const amount = k === terms.periods ? total - tge - each * BigInt(terms.periods - 1) : each;
    raw.push({ amount, at: start + (terms.cliffDays + k * terms.periodDays) * DAY_MS });
  }
  const releases = raw.filter((r) => r.amount > 0n).map((r, index) => ({ index, amount: r.amount, unlockAt: new Date(r.at) }));
  const sum = releases.reduce((s, r) => s + r.amount, 0n);
  if (sum !== total) throw new ScheduleError(`schedule sums to ${sum}, not ${total}`);
  return releases;
}
