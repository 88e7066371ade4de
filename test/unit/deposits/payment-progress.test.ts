import fc from 'fast-check';
import { OrderStatus } from '../../../src/entities/enums.js';
import { confirmationsAt, paymentStatus } from '../../../src/services/deposits/payment-progress.js';

const totals = (received: bigint, confirmed: bigint, confirmations = 1) => ({ received, confirmed, confirmations });

describe('paymentStatus', () => {
  it.each([
    ['nothing seen', OrderStatus.PENDING, totals(0n, 0n, 0), OrderStatus.PENDING],
    ['a transfer seen, unconfirmed', OrderStatus.PENDING, totals(100n, 0n), OrderStatus.CONFIRMING],
    ['part confirmed, short', OrderStatus.CONFIRMING, totals(100n, 60n), OrderStatus.CONFIRMING],
    ['exactly the expected amount confirmed', OrderStatus.CONFIRMING, totals(100n, 100n), OrderStatus.PAID],
    ['overpaid and confirmed straight from PENDING', OrderStatus.PENDING, totals(150n, 150n), OrderStatus.PAID],
    ['received enough but not yet confirmed', OrderStatus.CONFIRMING, totals(100n, 99n), OrderStatus.CONFIRMING],
    ['its transfer reorged away', OrderStatus.CONFIRMING, totals(0n, 0n, 0), OrderStatus.CONFIRMING],
  ])('%s', (_name, status, t, expected) => {
    expect(paymentStatus(status, 100n, t)).toBe(expected);
  });

  it('never changes an order that is not open', () => {
    for (const status of [OrderStatus.PAID, OrderStatus.UNDERPAID, OrderStatus.EXPIRED, OrderStatus.CANCELLED]) {
      expect(paymentStatus(status, 100n, totals(1000n, 1000n))).toBe(status);
    }
  });

  it('is PAID exactly when the confirmed amount reaches the expected one, and never moves an open order backwards', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(OrderStatus.PENDING, OrderStatus.CONFIRMING),
        fc.bigInt({ min: 1n, max: 10n ** 30n }),
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        fc.bigInt({ min: 0n, max: 10n ** 30n }),
        (status, expected, a, b) => {
          const [confirmed, received] = a <= b ? [a, b] : [b, a];
          const next = paymentStatus(status, expected, totals(received, confirmed));
          expect(next === OrderStatus.PAID).toBe(confirmed >= expected);
          if (status === OrderStatus.CONFIRMING) expect(next).not.toBe(OrderStatus.PENDING);
        },
      ),
    );
  });
});

describe('confirmationsAt', () => {
  it('counts the block itself as the first confirmation, and nothing before it is mined', () => {
    expect(confirmationsAt(100, 100)).toBe(1);
    expect(confirmationsAt(111, 100)).toBe(12);
    expect(confirmationsAt(99, 100)).toBe(0);
  });
});
