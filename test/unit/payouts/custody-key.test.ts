import fc from 'fast-check';
import { custodyKey, MAX_CUSTODY_ATTEMPT, parseCustodyKey } from '../../../src/services/payouts/custody-key.js';
import { externalTxIdOf } from '../../../src/services/vesting/create-allocation.js';

const hex32 = fc.stringMatching(/^[0-9a-f]{32}$/);

describe('custody keys: one per attempt of a release', () => {
  const ext = externalTxIdOf('3f2c6a1e-9b7d-4c1a-8e2f-0a1b2c3d4e5f');

  it('attempt 0 is the release externalTxId itself; later attempts get their own key', () => {
    expect(custodyKey(ext, 0)).toBe(ext);
    expect(custodyKey(ext, 1)).toBe('vl-r1-3f2c6a1e9b7d4c1a8e2f0a1b2c3d4e5f');
    expect(custodyKey(ext, MAX_CUSTODY_ATTEMPT)).toBe('vl-r999-3f2c6a1e9b7d4c1a8e2f0a1b2c3d4e5f');
  });

  it('refuses an attempt out of range or a key that is not a release externalTxId', () => {
    expect(() => custodyKey(ext, MAX_CUSTODY_ATTEMPT + 1)).toThrow(/out of range/);
    expect(() => custodyKey(ext, -1)).toThrow(/out of range/);
    expect(() => custodyKey(ext, 1.5)).toThrow(/out of range/);
    expect(() => custodyKey('vl-r1-3f2c6a1e9b7d4c1a8e2f0a1b2c3d4e5f', 2)).toThrow(/not a release externalTxId/);
    expect(() => custodyKey('someone-else', 1)).toThrow(/not a release externalTxId/);
  });

  it('reads nothing into keys that are not ours', () => {
    for (const k of ['', 'vl-rel-', 'vl-r0-3f2c6a1e9b7d4c1a8e2f0a1b2c3d4e5f', 'vl-r01-3f2c6a1e9b7d4c1a8e2f0a1b2c3d4e5f', 'vl-r1000-3f2c6a1e9b7d4c1a8e2f0a1b2c3d4e5f', 'VL-REL-3F2C6A1E9B7D4C1A8E2F0A1B2C3D4E5F', `${ext}x`, `x${ext}`]) {
      expect(parseCustodyKey(k)).toBeNull();
    }
  });

  it('round-trips every release and attempt, in at most 40 characters, and no two (release, attempt) share a key', () => {
    fc.assert(
      fc.property(hex32, fc.integer({ min: 0, max: MAX_CUSTODY_ATTEMPT }), hex32, fc.integer({ min: 0, max: MAX_CUSTODY_ATTEMPT }), (a, n, b, m) => {
        const key = custodyKey(`vl-rel-${a}`, n);
        expect(key.length).toBeLessThanOrEqual(40);
        expect(parseCustodyKey(key)).toEqual({ externalTxId: `vl-rel-${a}`, attempt: n });
        if (a !== b || n !== m) expect(custodyKey(`vl-rel-${b}`, m)).not.toBe(key);
      }),
    );
  });
});
