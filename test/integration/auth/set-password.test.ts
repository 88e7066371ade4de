import type { Scope } from '../../../src/services/scope.js';
import { Role } from '../../../src/entities/role.js';
import { SITE_FILTER } from '../../../src/entities/site-scope.js';
import { PASSWORD, createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';

const ME = '{ me { id } }';
const NEW_PASSWORD = 'a-brand-new-password';

let t: TestApp;
let f: SiteFixture;
let other: SiteFixture;
beforeAll(async () => {
  t = await startTestApp();
  f = await createSiteFixture(t, 'pw-site');
  other = await createSiteFixture(t, 'pw-other');
});
afterAll(() => t.stop());

const sql = <T extends object>(query: string, params: unknown[] = []) => t.app.db.orm.em.fork().getConnection().execute<T>(query, params);
const userId = async (email: string) => (await sql<{ id: string }[]>('select id from app_user where email = ?', [email]))[0]!.id;

/** What a request of `email` would hand a use case. */
async function scopeOf(email: string): Promise<Scope> {
  const [u] = await sql<{ id: string; role: Role; site_id: string | null }[]>('select id, role, site_id from app_user where email = ?', [email]);
  const em = t.app.deps.orm.em.fork();
  em.setFilterParams(SITE_FILTER, { siteId: u!.site_id });
  return { em, deps: t.app.deps, actor: { userId: u!.id, email, role: u!.role, siteId: u!.site_id }, siteId: u!.site_id, ip: '192.0.2.1' };
}

describe('setPassword', () => {
  it('sets the new hash and ends every session of the user at once', async () => {
    const { setPassword } = await import('../../../src/services/users/set-password.js');
    const email = 'customer@pw-site.test';
    const second = await t.login(email, PASSWORD);
    expect((await t.gql(ME, {}, { token: f.customerToken })).errors).toBeUndefined();
    await setPassword(await scopeOf(email), { userId: await userId(email), password: NEW_PASSWORD });
    for (const token of [f.customerToken, second]) expect((await t.gql(ME, {}, { token })).status).toBe(401);
    // The old password no longer works, the new one does; other users keep their sessions.
    expect((await t.gql('mutation($e:String!,$p:String!){login(email:$e,password:$p){token}}', { e: email, p: PASSWORD })).errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    await t.login(email, NEW_PASSWORD);
    expect((await t.gql(ME, {}, { token: f.operatorToken })).errors).toBeUndefined();
    const audit = await sql<{ action: string }[]>(`select action from audit_entry where target_id = ? and action = 'user.password_changed'`, [await userId(email)]);
    expect(audit).toHaveLength(1);
  });

  it('changes hash and sessions together or not at all', async () => {
    const { setPassword } = await import('../../../src/services/users/set-password.js');
    const email = 'operator@pw-site.test';
    const id = await userId(email);
    const [before] = await sql<{ password_hash: string }[]>('select password_hash from app_user where id = ?', [id]);
    // A trigger makes revoking the sessions fail: the new hash must not stay behind on its own.
    await sql(`create function pw_test_fail() returns trigger as $$ begin raise exception 'revocation failed'; end; $$ language plpgsql`);
    await sql(`create trigger pw_test_fail before update on user_session for each row execute function pw_test_fail()`);
    try {
      await expect(setPassword(await scopeOf('site_admin@pw-site.test'), { userId: id, password: NEW_PASSWORD })).rejects.toThrow();
    } finally {
      await sql('drop trigger pw_test_fail on user_session');
      await sql('drop function pw_test_fail()');
    }
    const [after] = await sql<{ password_hash: string }[]>('select password_hash from app_user where id = ?', [id]);
    expect(after!.password_hash).toBe(before!.password_hash);
    expect((await t.gql(ME, {}, { token: f.operatorToken })).errors).toBeUndefined();
  });

  it('refuses a password that is too short, and a user of another site as if it did not exist', async () => {
    const { setPassword } = await import('../../../src/services/users/set-password.js');
    const admin = await scopeOf('site_admin@pw-site.test');
    await expect(setPassword(admin, { userId: await userId('customer@pw-site.test'), password: 'short' })).rejects.toMatchObject({ reason: 'INVALID_INPUT' });
    await expect(setPassword(admin, { userId: await userId('customer@pw-other.test'), password: NEW_PASSWORD })).rejects.toMatchObject({ reason: 'NOT_FOUND' });
    await expect(setPassword(admin, { userId: 'not-a-uuid', password: NEW_PASSWORD })).rejects.toMatchObject({ reason: 'NOT_FOUND' });
    // An OPERATOR may change its own password only.
    const operator = await scopeOf('operator@pw-other.test');
    await expect(setPassword(operator, { userId: await userId('customer@pw-other.test'), password: NEW_PASSWORD })).rejects.toMatchObject({ reason: 'FORBIDDEN' });
    expect((await t.gql(ME, {}, { token: other.customerToken })).errors).toBeUndefined();
  });
});
