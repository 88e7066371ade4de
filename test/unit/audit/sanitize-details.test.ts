import { sanitizeDetails } from '../../../src/services/audit/sanitize-details.js';

describe('sanitizeDetails', () => {
  it('redacts secret-looking keys at any depth and keeps the rest', () => {
    const out = sanitizeDetails({
      email: 'a@b.co',
      password: 'hunter2hunter2',
      nested: { privateKey: '0xabc', apiKey: 'k', list: [{ secret: 's', ok: 1 }], token: 't' },
      amount: 5n,
    });
    expect(out).toEqual({
      email: 'a@b.co',
      password: '[redacted]',
      nested: { privateKey: '[redacted]', apiKey: '[redacted]', list: [{ secret: '[redacted]', ok: 1 }], token: '[redacted]' },
      amount: '5',
    });
    expect(JSON.stringify(out)).not.toMatch(/hunter2|0xabc/);
  });

  it('keeps data whose name merely contains "token"', () => {
    expect(sanitizeDetails({ tokenAmount: '12.5', accessToken: 'abc', token: 'x' })).toEqual({ tokenAmount: '12.5', accessToken: '[redacted]', token: '[redacted]' });
  });

  it('truncates very deep structures instead of failing', () => {
    let deep: Record<string, unknown> = { v: 1 };
    for (let i = 0; i < 10; i++) deep = { d: deep };
    expect(JSON.stringify(sanitizeDetails(deep))).toContain('[truncated]');
  });
});
