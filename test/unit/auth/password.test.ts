import fc from 'fast-check';
import { hashPassword, verifyPassword } from '../../../src/services/auth/password.js';

describe('password hashing', () => {
  it('verifies the right password and refuses any other', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 40 }), fc.string({ minLength: 1, maxLength: 40 }), async (pw, other) => {
        const h = await hashPassword(pw, 1024);
        expect(await verifyPassword(pw, h)).toBe(true);
        if (other.normalize('NFKC') !== pw.normalize('NFKC')) expect(await verifyPassword(other, h)).toBe(false);
      }),
      { numRuns: 25 },
    );
  });

  it('salts each hash and stores its parameters', async () => {
    const a = await hashPassword('same-password-here', 1024);
    const b = await hashPassword('same-password-here', 1024);
    expect(a).not.toBe(b);
    expect(a).toMatch(/^scrypt\$1024\$8\$1\$[\w-]+\$[\w-]+$/);
  });

  it('verifies a hash made with another cost (the cost travels with the hash)', async () => {
    const h = await hashPassword('cost-change-pass', 2048);
    expect(await verifyPassword('cost-change-pass', h)).toBe(true);
  });

  it.each(['', 'bcrypt$x', 'scrypt$1024$8$1$salt', 'scrypt$1024$9$1$c2FsdA$aGFzaA'])('refuses a malformed stored hash %j', async (stored) => {
    expect(await verifyPassword('whatever', stored)).toBe(false);
  });
});
