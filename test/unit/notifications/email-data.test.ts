import { emailDataFor, type DueEmail } from '../../../src/services/notifications/email/send-emails.js';

const row = (event_type: DueEmail['event_type'], data: Record<string, unknown>): Parameters<typeof emailDataFor>[0] => ({
  event_type,
  recipient: 'ada@customer.example',
  data,
  site_name: 'Acme',
  reference: 'VL-7K2M9QX4D1BA',
  token_symbol: 'ACME',
  first_unlock_at: new Date('2027-01-01T00:00:00Z'),
});
const order = { id: 'o-1', asset: { symbol: 'USDT', decimals: 6 }, amountExpected: '100', amountReceived: '100', amountOverpaid: '0', tokenAmount: '2000' };

describe('emailDataFor: what each customer e-mail shows, from the event payload', () => {
  it('order.paid shows the amount due when paid exactly or confirmed by an admin, and what arrived when it was more', () => {
    const base = { siteName: 'Acme', customerEmail: 'ada@customer.example', reference: 'VL-7K2M9QX4D1BA', symbol: 'USDT', tokenAmount: '2000', tokenSymbol: 'ACME', unlockAt: '2027-01-01T00:00:00.000Z' };
    expect(emailDataFor(row('order.paid', order))).toEqual({ ...base, amount: '100' });
    expect(emailDataFor(row('order.paid', { ...order, amountReceived: '0', amountOverpaid: '0' }))).toEqual({ ...base, amount: '100' });
    expect(emailDataFor(row('order.paid', { ...order, amountReceived: '100.5', amountOverpaid: '0.5' }))).toEqual({ ...base, amount: '100.5' });
  });

  it('order.expired shows the amount that was due; order.underpaid what arrived and what was due', () => {
    expect(emailDataFor(row('order.expired', { ...order, amountReceived: '0' }))).toMatchObject({ amount: '100', symbol: 'USDT', reference: 'VL-7K2M9QX4D1BA' });
    expect(emailDataFor(row('order.underpaid', { ...order, amountReceived: '60.5' }))).toMatchObject({ amountReceived: '60.5', amountExpected: '100', symbol: 'USDT' });
  });

  it('release.released shows the release amount, its unlock time and the payout hash, in the token symbol', () => {
    const data = { id: 'r-1', amount: '166.666666666666666666', unlockAt: '2027-05-01T00:00:00.000Z', txHash: '0xabc', status: 'RELEASED' };
    expect(emailDataFor(row('release.released', data))).toEqual({ siteName: 'Acme', customerEmail: 'ada@customer.example', reference: 'VL-7K2M9QX4D1BA', tokenAmount: '166.666666666666666666', tokenSymbol: 'ACME', txHash: '0xabc', unlockAt: '2027-05-01T00:00:00.000Z' });
  });

  it('leaves out what the payload does not have instead of inventing it', () => {
    const d = emailDataFor({ ...row('release.released', { id: 'r-1' }), reference: null, token_symbol: null });
    expect(Object.entries(d).filter(([, v]) => v !== undefined)).toEqual([
      ['siteName', 'Acme'],
      ['customerEmail', 'ada@customer.example'],
    ]);
  });
});
