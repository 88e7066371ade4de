import { Role } from '../../../src/entities/role.js';
import { issueSessionToken, verifySessionToken } from '../../../src/services/auth/session-token.js';

const SECRET = 'a-test-secret-of-at-least-32-chars!!';

describe('session tokens', () => {
  it('round-trips the claims', async () => {
    const { token, expiresAt } = await issueSessionToken({ userId: 'u1', role: Role.OPERATOR, siteId: 's1' }, SECRET, 60);
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now());
    expect(await verifySessionToken(token, SECRET)).toEqual({ ok: true, claims: { userId: 'u1', role: Role.OPERATOR, siteId: 's1' }, expiresAt });
  });

  it('says expired for an expired token', async () => {
    const { token } = await issueSessionToken({ userId: 'u1', role: Role.OPERATOR, siteId: null }, SECRET, 60, 'api', new Date(Date.now() - 3600_000));
    expect(await verifySessionToken(token, SECRET)).toEqual({ ok: false, problem: 'expired' });
  });

  it('refuses another secret, another audience and a tampered payload', async () => {
    const { token } = await issueSessionToken({ userId: 'u1', role: Role.CUSTOMER, siteId: 's1' }, SECRET, 60);
    expect((await verifySessionToken(token, SECRET + 'x')).ok).toBe(false);
    expect((await verifySessionToken(token, SECRET, 'dashboard')).ok).toBe(false);
    const [h, p, s] = token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.role = 'SUPER_ADMIN';
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    expect(await verifySessionToken(forged, SECRET)).toEqual({ ok: false, problem: 'invalid' });
  });
});
