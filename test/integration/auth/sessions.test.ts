import { ADMIN_EMAIL, ADMIN_PASSWORD, createSiteFixture, startTestApp, type TestApp } from '../../support/test-app.js';
import { openWs } from '../../support/ws-client.js';

const LOGOUT = 'mutation { logout }';
const ME = '{ me { id email } }';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ TRUST_PROXY: 'loopback' });
});
afterAll(() => t.stop());

const sql = <T extends object>(query: string, params: unknown[] = []) => t.app.db.orm.em.fork().getConnection().execute<T>(query, params);

const socket = (token: string) => openWs(t.app.graphqlUrl, { authorization: `Bearer ${token}` });

describe('sessions', () => {
  it('login records a session with its user, audience, address and expiry', async () => {
    const r = await t.gql<{ login: { token: string; expiresAt: string; user: { id: string } } }>(
      'mutation($e:String!,$p:String!){login(email:$e,password:$p){token expiresAt user{id}}}',
      { e: ADMIN_EMAIL, p: ADMIN_PASSWORD },
      { headers: { 'x-forwarded-for': '203.0.113.21' } },
    );
    const sid = JSON.parse(Buffer.from(r.data!.login.token.split('.')[1]!, 'base64url').toString()).sid as string;
    const rows = await sql<{ user_id: string; audience: string; ip: string; expires_at: Date; revoked_at: Date | null }[]>('select * from user_session where id = ?', [sid]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ user_id: r.data!.login.user.id, audience: 'api', ip: '203.0.113.21', revoked_at: null });
    expect(new Date(rows[0]!.expires_at).getTime()).toBe(new Date(r.data!.login.expiresAt).getTime());
  });

  it('logout ends its own session at once over HTTP, and only that one', async () => {
    const mine = await t.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    const other = await t.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    expect((await t.gql(ME, {}, { token: mine })).errors).toBeUndefined();
    const out = await t.gql<{ logout: boolean }>(LOGOUT, {}, { token: mine });
    expect(out.errors).toBeUndefined();
    expect(out.data).toEqual({ logout: true });
    const after = await t.gql(ME, {}, { token: mine });
    expect(after.status).toBe(401);
    expect(after.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    // The same user's other session goes on.
    expect((await t.gql(ME, {}, { token: other })).errors).toBeUndefined();
    // Logging out twice: the token no longer authenticates at all.
    expect((await t.gql(LOGOUT, {}, { token: mine })).errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });

  it('refuses logout to an anonymous caller with UNAUTHENTICATED', async () => {
    const r = await t.gql(LOGOUT);
    expect(r.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });

  it('logout is open to every signed-in role', async () => {
    const f = await createSiteFixture(t, 'logout-roles');
    for (const token of [f.adminToken, f.operatorToken, f.customerToken]) {
      expect((await t.gql(LOGOUT, {}, { token })).data).toEqual({ logout: true });
      expect((await t.gql(ME, {}, { token })).status).toBe(401);
    }
  });

  it('closes an open graphql-ws socket with 4401 on its next operation after logout', async () => {
    const token = await t.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    const s = await socket(token);
    expect(await s.run('{ me { email } }')).toEqual({ data: { me: { email: ADMIN_EMAIL } } });
    expect((await t.gql(LOGOUT, {}, { token })).data).toEqual({ logout: true });
    const r = (await s.run('{ me { email } }')) as { closed?: { code: number } };
    expect(r.closed?.code ?? s.closed()?.code).toBe(4401);
  });

  it('logout over graphql-ws ends the session for HTTP too', async () => {
    const token = await t.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    const s = await socket(token);
    expect(await s.run(LOGOUT)).toEqual({ data: { logout: true } });
    expect((await t.gql(ME, {}, { token })).status).toBe(401);
    s.close();
  });
});

describe('role change and deletion still end access at once', () => {
  it('applies a role change to the next HTTP request of the same token', async () => {
    const f = await createSiteFixture(t, 'sess-demote');
    expect((await t.gql('{ walletPoolStats { network } }', {}, { token: f.adminToken })).errors).toBeUndefined();
    await sql(`update app_user set role = 'CUSTOMER' where email = ?`, [f.adminEmail]);
    expect((await t.gql('{ walletPoolStats { network } }', {}, { token: f.adminToken })).errors![0]!.extensions!.code).toBe('FORBIDDEN');
  });

  it('refuses the token of a deleted user with 401 (its sessions go with it)', async () => {
    const f = await createSiteFixture(t, 'sess-gone');
    expect((await t.gql(ME, {}, { token: f.customerToken })).errors).toBeUndefined();
    await sql(`delete from app_user where email = ?`, ['customer@sess-gone.test']);
    const r = await t.gql(ME, {}, { token: f.customerToken });
    expect(r.status).toBe(401);
    expect(r.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });
});

describe('expired sessions', () => {
  it('are pruned by the sessions.prune job; live and revoked-but-unexpired ones stay', async () => {
    const { pruneExpiredSessions } = await import('../../../src/services/auth/sessions.js');
    const { jobRegistry } = await import('../../../src/jobs/registry.js');
    expect(jobRegistry.map((j) => j.name)).toContain('sessions.prune');
    const live = await t.login(ADMIN_EMAIL, ADMIN_PASSWORD);
    const [admin] = await sql<{ id: string }[]>(`select id from app_user where email = ? and site_id is null`, [ADMIN_EMAIL]);
    await sql(
      `insert into user_session (id, user_id, audience, created_at, expires_at, revoked_at, ip)
       values ('00000000-0000-4000-8000-00000000e001', ?, 'api', now() - interval '2 days', now() - interval '1 day', null, null),
              ('00000000-0000-4000-8000-00000000e002', ?, 'api', now() - interval '2 days', now() + interval '1 hour', now(), null)`,
      [admin!.id, admin!.id],
    );
    const removed = await pruneExpiredSessions(t.app.deps.orm.em.fork());
    expect(removed).toBeGreaterThanOrEqual(1);
    const left = await sql<{ id: string }[]>(`select id from user_session where id in ('00000000-0000-4000-8000-00000000e001', '00000000-0000-4000-8000-00000000e002')`);
    expect(left.map((r) => r.id)).toEqual(['00000000-0000-4000-8000-00000000e002']);
    expect((await t.gql(ME, {}, { token: live })).errors).toBeUndefined();
  });
});
