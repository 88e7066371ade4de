import { SignJWT } from 'jose';
import { Role } from '../../../src/entities/role.js';
import { issueSessionToken, verifySessionToken } from '../../../src/services/auth/session-token.js';

const SECRET = 'a-test-secret-of-at-least-32-chars!!';
const USER = '6f1c1f0e-8d2a-4c1e-9a55-0d6c2b1e7f01';
const SESSION = '0b7e3c52-51a4-4f0d-8e0a-3f1d2c4b5a69';
const SITE = 'c7d1f3aa-1b2c-4d5e-8f90-a1b2c3d4e5f6';

describe('session tokens', () => {
  it('round-trips the claims, the session id included', async () => {
    const { token, expiresAt } = await issueSessionToken({ userId: USER, sessionId: SESSION, role: Role.OPERATOR, siteId: SITE }, SECRET, 60);
    expect(expiresAt.getTime()).toBeGreaterThan(Date.now());
    expect(await verifySessionToken(token, SECRET)).toEqual({ ok: true, claims: { userId: USER, sessionId: SESSION, role: Role.OPERATOR, siteId: SITE }, expiresAt });
  });

  it('says expired for an expired token', async () => {
    const { token } = await issueSessionToken({ userId: USER, sessionId: SESSION, role: Role.OPERATOR, siteId: null }, SECRET, 60, 'api', new Date(Date.now() - 3600_000));
    expect(await verifySessionToken(token, SECRET)).toEqual({ ok: false, problem: 'expired' });
  });

  it('refuses another secret, another audience and a tampered payload', async () => {
    const { token } = await issueSessionToken({ userId: USER, sessionId: SESSION, role: Role.CUSTOMER, siteId: SITE }, SECRET, 60);
    expect((await verifySessionToken(token, SECRET + 'x')).ok).toBe(false);
    expect((await verifySessionToken(token, SECRET, 'dashboard')).ok).toBe(false);
    const [h, p, s] = token.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString());
    payload.role = 'SUPER_ADMIN';
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${s}`;
    expect(await verifySessionToken(forged, SECRET)).toEqual({ ok: false, problem: 'invalid' });
  });

  it.each([
    ['a subject that is not a UUID', { sid: SESSION }, 'not-a-uuid'],
    ['a session id that is not a UUID', { sid: 'not-a-uuid' }, USER],
    ['no session id', {}, USER],
    ['a session id that is not a string', { sid: 42 }, USER],
  ])('calls a correctly signed token with %s invalid', async (_name, extra, sub) => {
    const token = await new SignJWT({ role: 'OPERATOR', site: null, ...extra })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(sub)
      .setIssuer('vestline')
      .setAudience('api')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(SECRET));
    expect(await verifySessionToken(token, SECRET)).toEqual({ ok: false, problem: 'invalid' });
  });
});
