import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, type TestApp } from '../../support/test-app.js';

const COOKIE = 'vestline_dashboard';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.stop());

async function signIn(): Promise<string> {
  const res = await fetch(`${t.url}/admin/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }).toString(),
    redirect: 'manual',
  });
  expect(res.status).toBe(303);
  const set = res.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`))!;
  return decodeURIComponent(set.slice(COOKIE.length + 1).split(';')[0]!);
}

const api = (cookie: string) => fetch(`${t.url}/admin/jobs/api`, { headers: { cookie: `${COOKIE}=${cookie}`, accept: 'application/json' }, redirect: 'manual' });

describe('dashboard logout', () => {
  it('ends the cookie\'s session, so a copy of the cookie no longer opens the dashboard', async () => {
    const cookie = await signIn();
    const other = await signIn();
    expect((await api(cookie)).status).toBe(200);
    const out = await fetch(`${t.url}/admin/logout`, { method: 'POST', headers: { cookie: `${COOKIE}=${cookie}`, accept: 'text/html' }, redirect: 'manual' });
    expect(out.status).toBe(303);
    expect((await api(cookie)).status).toBe(401);
    // Only that session: the admin's other sign-in goes on.
    expect((await api(other)).status).toBe(200);
  });
});
