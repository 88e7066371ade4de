import { SignJWT } from 'jose';
import { ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, createSiteFixture, startTestApp, type TestApp } from '../../support/test-app.js';

const LOGIN = 'mutation($e:String!,$p:String!){login(email:$e,password:$p){token expiresAt user{id email role site{id slug}}}}';
const ME = '{ me { id email role site { id } } }';

let t: TestApp;
beforeAll(async () => {
  // The tests are the proxy (loopback): each speaks from its own X-Forwarded-For address, so per-IP
  // limits do not leak between tests.
  t = await startTestApp({ LOGIN_MAX_FAILURES: '10', LOGIN_WINDOW_SECONDS: '900', TRUST_PROXY: 'loopback' });
});
afterAll(() => t.stop());

describe('login and me', () => {
  it('signs the bootstrap SUPER_ADMIN in and me returns it', async () => {
    const r = await t.gql<{ login: { token: string; expiresAt: string; user: { email: string; role: string; site: null } } }>(LOGIN, { e: ADMIN_EMAIL, p: ADMIN_PASSWORD });
    expect(r.errors).toBeUndefined();
    expect(r.data!.login.user).toMatchObject({ email: ADMIN_EMAIL, role: 'SUPER_ADMIN', site: null });
    expect(new Date(r.data!.login.expiresAt).getTime()).toBeGreaterThan(Date.now());
    const me = await t.gql<{ me: { email: string } }>(ME, {}, { token: r.data!.login.token });
    expect(me.data!.me.email).toBe(ADMIN_EMAIL);
  });

  it('returns null for me when anonymous', async () => {
    const me = await t.gql(ME);
    expect(me.errors).toBeUndefined();
    expect(me.data).toEqual({ me: null });
  });

  it('accepts the email in any case and with spaces around it', async () => {
    const r = await t.gql(LOGIN, { e: `  ${ADMIN_EMAIL.toUpperCase()} `, p: ADMIN_PASSWORD });
    expect(r.errors).toBeUndefined();
  });

  it('refuses a wrong password and an unknown email with the same UNAUTHENTICATED error', async () => {
    const wrong = await t.gql(LOGIN, { e: ADMIN_EMAIL, p: 'not-the-password' });
    const unknown = await t.gql(LOGIN, { e: 'nobody@vestline.test', p: 'not-the-password' });
    expect(wrong.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    expect(unknown.errors![0]!.message).toBe(wrong.errors![0]!.message);
    expect(unknown.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });

  it('logs a site user in with its site', async () => {
    const f = await createSiteFixture(t, 'login-site');
    const me = await t.gql<{ me: { role: string; site: { id: string } } }>(ME, {}, { token: f.operatorToken });
    expect(me.data!.me).toMatchObject({ role: 'OPERATOR', site: { id: f.siteId } });
  });
});

describe('bad tokens', () => {
  const secret = new TextEncoder().encode('test-secret-that-is-long-enough-0123456789');
  const claims = { role: 'SUPER_ADMIN', site: null };
  const adminId = async () => (await t.app.db.orm.em.fork().getConnection().execute<{ id: string }[]>(`select id from app_user where role = 'SUPER_ADMIN'`))[0]!.id;

  it.each([
    ['expired', async () => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuer('vestline').setAudience('api').setIssuedAt(1000).setExpirationTime(2000).sign(secret)],
    ['signed with another secret', async () => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuer('vestline').setAudience('api').setExpirationTime('1h').sign(new TextEncoder().encode('another-secret-another-secret-another'))],
    ['forged (alg none)', async () => `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x","role":"SUPER_ADMIN"}').toString('base64url')}.`],
    ['garbage', async () => 'not.a.jwt'],
    ['for the dashboard audience', async () => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuer('vestline').setAudience('dashboard').setExpirationTime('1h').sign(secret)],
    ['validly signed with a subject that is not a UUID', async () => new SignJWT({ ...claims, sid: '00000000-0000-4000-8000-000000000001' }).setProtectedHeader({ alg: 'HS256' }).setSubject('not-a-uuid').setIssuer('vestline').setAudience('api').setExpirationTime('1h').sign(secret)],
    ['validly signed with a session id that is not a UUID', async () => new SignJWT({ ...claims, sid: 'not-a-uuid' }).setProtectedHeader({ alg: 'HS256' }).setSubject(await adminId()).setIssuer('vestline').setAudience('api').setExpirationTime('1h').sign(secret)],
    ['validly signed for an existing user but without a session id', async () => new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject(await adminId()).setIssuer('vestline').setAudience('api').setExpirationTime('1h').sign(secret)],
    ['validly signed for an existing user with a session that does not exist', async () => new SignJWT({ ...claims, sid: '00000000-0000-4000-8000-000000000002' }).setProtectedHeader({ alg: 'HS256' }).setSubject(await adminId()).setIssuer('vestline').setAudience('api').setExpirationTime('1h').sign(secret)],
  ])('refuses a token that is %s with 401 UNAUTHENTICATED', async (_name, make) => {
    const r = await t.gql(ME, {}, { token: await make() });
    expect(r.status).toBe(401);
    expect(r.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    expect(r.data ?? null).toBeNull();
  });

  it('refuses a valid signature for a user that does not exist', async () => {
    const token = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('00000000-0000-4000-8000-000000000000').setIssuer('vestline').setAudience('api').setExpirationTime('1h').sign(secret);
    const r = await t.gql(ME, {}, { token });
    expect(r.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });

  it('refuses an Authorization header that is not a bearer token', async () => {
    const r = await t.gql(ME, {}, { headers: { authorization: 'Basic Zm9vOmJhcg==' } });
    expect(r.status).toBe(401);
    expect(r.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });
});

describe('login rate limit', () => {
  it('answers RATE_LIMITED after 10 failures for one email from one address, even from parallel requests', async () => {
    await createSiteFixture(t, 'limit-site');
    const email = 'customer@limit-site.test';
    const from = { headers: { 'x-forwarded-for': '10.0.0.1' } };
    const results = await Promise.all(Array.from({ length: 25 }, (_, i) => t.gql(LOGIN, { e: email, p: `wrong-${i}` }, from)));
    const codes = results.map((r) => r.errors![0]!.extensions!.code);
    expect(codes.filter((c) => c === 'UNAUTHENTICATED')).toHaveLength(10);
    expect(codes.filter((c) => c === 'RATE_LIMITED')).toHaveLength(15);
    // The right password is refused too from that address while the window lasts.
    const right = await t.gql(LOGIN, { e: email, p: PASSWORD }, from);
    expect(right.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(right.errors![0]!.extensions!.retryAfterSeconds).toBeGreaterThan(0);
  });

  it('never locks an account for everyone: failures from one address leave other addresses able to sign in', async () => {
    // Its own server: the SUPER_ADMIN of the shared one must stay usable whatever this test does.
    const own = await startTestApp({ LOGIN_MAX_FAILURES: '10', LOGIN_WINDOW_SECONDS: '900', TRUST_PROXY: 'loopback' });
    try {
      const attacker = { headers: { 'x-forwarded-for': '192.0.2.66' } };
      const codes: unknown[] = [];
      for (let i = 0; i < 12; i++) codes.push((await own.gql(LOGIN, { e: ADMIN_EMAIL, p: `guess-${i}` }, attacker)).errors![0]!.extensions!.code);
      expect(codes.slice(0, 10).every((c) => c === 'UNAUTHENTICATED')).toBe(true);
      expect(codes.slice(10)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
      // The real SUPER_ADMIN, from its own address, still signs in.
      const owner = await own.gql(LOGIN, { e: ADMIN_EMAIL, p: ADMIN_PASSWORD }, { headers: { 'x-forwarded-for': '198.51.100.7' } });
      expect(owner.errors).toBeUndefined();
      // The address that failed stays refused, even with the right password.
      const again = await own.gql(LOGIN, { e: ADMIN_EMAIL, p: ADMIN_PASSWORD }, attacker);
      expect(again.errors![0]!.extensions!.code).toBe('RATE_LIMITED');
    } finally {
      await own.stop();
    }
  });

  it('limits one IP across many emails', async () => {
    const ip = await startTestApp({ TRUST_PROXY: 'loopback' });
    try {
      const results = [];
      for (let i = 0; i < 12; i++) {
        results.push(await ip.gql(LOGIN, { e: `user${i}@spray.test`, p: 'wrong-password' }, { headers: { 'x-forwarded-for': '203.0.113.7' } }));
      }
      const codes = results.map((r) => r.errors![0]!.extensions!.code);
      expect(codes.slice(0, 10).every((c) => c === 'UNAUTHENTICATED')).toBe(true);
      expect(codes.slice(10)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
      // Another address is not affected.
      const other = await ip.gql(LOGIN, { e: ADMIN_EMAIL, p: ADMIN_PASSWORD }, { headers: { 'x-forwarded-for': '203.0.113.8' } });
      expect(other.errors).toBeUndefined();
    } finally {
      await ip.stop();
    }
  });

  it('takes the client address a trusted proxy saw, not one the client put in front of it', async () => {
    const spoof = await startTestApp({ TRUST_PROXY: 'loopback' });
    const direct = await startTestApp({ TRUST_PROXY: 'false' });
    try {
      // Through the (loopback) proxy: the client prepends fake addresses; the proxy appends the real one.
      for (let i = 0; i < 11; i++) {
        await spoof.gql(LOGIN, { e: `v${i}@spoof.test`, p: 'wrong-password' }, { headers: { 'x-forwarded-for': `198.18.0.${i}, 203.0.113.50` } });
      }
      const limited = await spoof.gql(LOGIN, { e: 'new@spoof.test', p: 'wrong-password' }, { headers: { 'x-forwarded-for': '198.18.9.9, 203.0.113.50' } });
      expect(limited.errors![0]!.extensions!.code).toBe('RATE_LIMITED');
      const ips = await spoof.app.db.orm.em.fork().getConnection().execute<{ key: string }[]>(`select key from rate_limit_bucket where key like 'login:ip:%'`);
      expect(ips.map((r) => r.key)).toEqual(['login:ip:203.0.113.50']);
      // Without a trusted proxy the header is ignored altogether.
      for (let i = 0; i < 11; i++) await direct.gql(LOGIN, { e: `w${i}@direct.test`, p: 'wrong-password' }, { headers: { 'x-forwarded-for': `198.18.1.${i}` } });
      const keys = await direct.app.db.orm.em.fork().getConnection().execute<{ key: string }[]>(`select key from rate_limit_bucket where key like 'login:ip:%'`);
      expect(keys.map((r) => r.key)).toEqual([expect.stringMatching(/^login:ip:(::ffff:)?127\.0\.0\.1$/)]);
    } finally {
      await spoof.stop();
      await direct.stop();
    }
  });

  it('a successful login takes back only its own hit: the failures before it still count', async () => {
    await createSiteFixture(t, 'reset-site');
    const email = 'operator@reset-site.test';
    const from = { headers: { 'x-forwarded-for': '198.51.100.1' } };
    for (let i = 0; i < 9; i++) await t.gql(LOGIN, { e: email, p: 'wrong-password' }, from);
    expect((await t.gql(LOGIN, { e: email, p: PASSWORD }, from)).errors).toBeUndefined();
    // The tenth failure is still allowed (the success did not count), the eleventh attempt is not.
    expect((await t.gql(LOGIN, { e: email, p: 'wrong-password' }, from)).errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    expect((await t.gql(LOGIN, { e: email, p: 'wrong-password' }, from)).errors![0]!.extensions!.code).toBe('RATE_LIMITED');
  });
});
