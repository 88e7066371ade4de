import fc from 'fast-check';
import { checkPageSize, decodeCursor, encodeCursor } from '../../../src/services/pagination.js';

describe('keyset cursors', () => {
  it('round-trip any timestamp and id', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date(0), max: new Date(4102444800000), noInvalidDate: true }), fc.uuid(), (at, id) => {
        expect(decodeCursor(encodeCursor({ at, id }))).toEqual({ at, id });
      }),
    );
  });

  it.each(['', 'garbage!', Buffer.from('[1,2]').toString('base64url'), Buffer.from('["not a date","x"]').toString('base64url'), Buffer.from('["2026-01-01T00:00:00.000Z","not-a-uuid"]').toString('base64url')])('refuses %j with BAD_USER_INPUT', (c) => {
    expect(() => decodeCursor(c)).toThrow(expect.objectContaining({ reason: 'INVALID_INPUT' }));
  });

  it('bounds the page size to 1..100', () => {
    expect(checkPageSize(1)).toBe(1);
    expect(checkPageSize(100)).toBe(100);
    for (const n of [0, -1, 101, 1.5]) expect(() => checkPageSize(n)).toThrow(/between 1 and 100/);
  });
});
