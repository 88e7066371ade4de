import fc from 'fast-check';
import { forEachConcurrently } from '../../../src/services/concurrency.js';

describe('forEachConcurrently', () => {
  it('calls fn once per item, starting them in list order, never more than `limit` at once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 40 }), fc.integer({ min: 1, max: 10 }), async (delays, limit) => {
        const started: number[] = [];
        let inFlight = 0;
        let most = 0;
        await forEachConcurrently(
          delays.map((d, i) => [i, d] as const),
          limit,
          async ([i, d]) => {
            started.push(i);
            most = Math.max(most, ++inFlight);
            await new Promise((r) => setTimeout(r, d));
            inFlight--;
          },
        );
        expect(started).toEqual(delays.map((_, i) => i));
        expect(most).toBeLessThanOrEqual(Math.min(limit, Math.max(delays.length, 1)));
        expect(inFlight).toBe(0);
      }),
      { numRuns: 50 },
    );
  });

  it('rejects with the first error', async () => {
    await expect(forEachConcurrently([1, 2, 3], 2, async (n) => { if (n === 2) throw new Error('two'); })).rejects.toThrow('two');
  });
});
