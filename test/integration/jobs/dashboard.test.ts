import { ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';

const COOKIE = 'vestline_dashboard';
const JOB = 'rate-limits.prune';
const ME = '{ me { email role } }';

interface AgendashList {
  jobs: { job: { name: string; data: unknown } }[];
  overview: { displayName?: string; name?: string }[];
}

let t: TestApp;
let site: SiteFixture;

beforeAll(async () => {
  t = await startTestApp({ LOGIN_MAX_FAILURES: '50' });
  site = await createSiteFixture(t, 'dash-site');
});
afterAll(() => t.stop());

const url = (path: string) => `${t.url}${path}`;

function get(path: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url(path), { headers, redirect: 'manual' });
}

function signIn(email: string, password: string): Promise<Response> {
  return fetch(url('/admin/login'), {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    body: new URLSearchParams({ email, password }).toString(),
    redirect: 'manual',
  });
}

/** The dashboard cookie's Set-Cookie line, if the response set one. */
function dashboardSetCookie(res: Response): string | undefined {
  return res.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`));
}

/** The attributes of a Set-Cookie line, lower-cased names, without the name=value pair. */
function attributes(setCookie: string): Map<string, string> {
  const parts = setCookie.split(';').slice(1);
  return new Map(
    parts.map((p) => {
      const [k, ...v] = p.trim().split('=');
      return [k!.toLowerCase(), v.join('=')] as const;
    }),
  );
}

function cookieValue(setCookie: string): string {
  return decodeURIComponent(setCookie.slice(COOKIE.length + 1).split(';')[0]!);
}

/** Signs the super admin in on the form and returns the cookie value it was given. */
async function dashboardCookie(): Promise<string> {
  const res = await signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
  expect(res.status).toBe(303);
  const set = dashboardSetCookie(res);
  if (!set) throw new Error('no dashboard cookie set');
  return cookieValue(set);
}

const withCookie = (value: string, extra: Record<string, string> = {}) => ({ cookie: `${COOKIE}=${value}`, ...extra });

describe('job dashboard: bearer tokens', () => {
  it('lists the jobs, including rate-limits.prune, to a SUPER_ADMIN bearer token', async () => {
    const res = await get('/admin/jobs/api', { authorization: `Bearer ${await t.adminToken()}`, accept: 'application/json' });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await res.json()) as AgendashList;
    expect(body.jobs.map((j) => j.job.name)).toContain(JOB);
  });

  it('answers 401 JSON to an API client without credentials', async () => {
    for (const accept of ['application/json', '*/*']) {
      const res = await get('/admin/jobs/api', { accept });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await res.json()).toEqual({ error: expect.any(String) });
    }
  });

  it('redirects a browser without credentials to the sign-in page', async () => {
    const accept = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';
    for (const path of ['/admin/jobs/', '/admin/jobs', '/admin/jobs/api']) {
      const res = await get(path, { accept });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/admin/login');
    }
    const page = await get('/admin/login', { accept: 'text/html' });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<form method="post" action="/admin/login">');
    expect(html).toMatch(/name="password" type="password"/);
  });

  it.each([
    ['SITE_ADMIN', () => site.adminToken],
    ['OPERATOR', () => site.operatorToken],
    ['CUSTOMER', () => site.customerToken],
  ])('refuses a %s bearer token with 403', async (_role, token) => {
    const res = await get('/admin/jobs/api', { authorization: `Bearer ${token()}`, accept: 'application/json' });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: expect.any(String) });
  });

  it('refuses an invalid bearer token with 401', async () => {
    const res = await get('/admin/jobs/api', { authorization: 'Bearer not.a.jwt', accept: 'application/json' });
    expect(res.status).toBe(401);
  });
});

describe('job dashboard: sign-in form and cookie', () => {
  it('signs a SUPER_ADMIN in with an HttpOnly, SameSite=Strict cookie and sends it to the dashboard', async () => {
    const res = await signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
    expect(res.status).toBe(303);
    const location = res.headers.get('location');
    expect(location).toBe('/admin/jobs/');

    const set = dashboardSetCookie(res);
    expect(set).toBeDefined();
    const attrs = attributes(set!);
    expect(attrs.has('httponly')).toBe(true);
    expect(attrs.get('samesite')?.toLowerCase()).toBe('strict');
    expect(attrs.get('path')).toBe('/admin');
    expect(attrs.has('secure')).toBe(false); // test mode is plain HTTP; production adds Secure
    expect(Number(attrs.get('max-age'))).toBeGreaterThan(0);

    // The token travels in the cookie only, never in the URL.
    const token = cookieValue(set!);
    expect(token.split('.')).toHaveLength(3);
    expect(location).not.toContain(token);
    expect(res.url).not.toContain(token);
  });

  it('opens the dashboard page and its API with the cookie', async () => {
    const cookie = await dashboardCookie();
    const page = await get('/admin/jobs/', withCookie(cookie, { accept: 'text/html' }));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toMatch(/<title>Agendash<\/title>/);
    // Without the trailing slash the page's relative asset URLs would break: it redirects to it.
    const bare = await get('/admin/jobs', withCookie(cookie, { accept: 'text/html' }));
    expect(bare.status).toBe(301);
    expect(bare.headers.get('location')).toBe('/admin/jobs/');

    const api = await get('/admin/jobs/api', withCookie(cookie, { accept: 'application/json' }));
    expect(api.status).toBe(200);
    const body = (await api.json()) as AgendashList;
    expect(body.jobs.map((j) => j.job.name)).toContain(JOB);
  });

  it('refuses a SITE_ADMIN on the form with 403 and no cookie', async () => {
    const res = await signIn(site.adminEmail, PASSWORD);
    expect(res.status).toBe(403);
    expect(dashboardSetCookie(res)).toBeUndefined();
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('Only a SUPER_ADMIN can open the job dashboard.');
  });

  it('refuses a wrong password with a 401 page that shows an error, and no cookie', async () => {
    const res = await signIn(ADMIN_EMAIL, 'not-the-password');
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(dashboardSetCookie(res)).toBeUndefined();
    const html = await res.text();
    expect(html).toMatch(/<p class="err" role="alert">[^<]+<\/p>/);
    expect(html).not.toContain('not-the-password');
  });

  it('refuses an empty form with 401 and no cookie', async () => {
    const res = await fetch(url('/admin/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: '',
      redirect: 'manual',
    });
    expect(res.status).toBe(401);
    expect(dashboardSetCookie(res)).toBeUndefined();
  });

  it('does not take an API bearer token as the cookie', async () => {
    const apiToken = await t.adminToken();
    const api = await get('/admin/jobs/api', withCookie(apiToken, { accept: 'application/json' }));
    expect(api.status).toBe(401);
    const page = await get('/admin/jobs/', withCookie(apiToken, { accept: 'text/html' }));
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/admin/login');
  });

  it('does not take the dashboard cookie token as a GraphQL bearer token, nor as a dashboard bearer token', async () => {
    const cookie = await dashboardCookie();
    const r = await t.gql(ME, {}, { token: cookie });
    expect(r.status).toBe(401);
    expect(r.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
    const api = await get('/admin/jobs/api', { authorization: `Bearer ${cookie}`, accept: 'application/json' });
    expect(api.status).toBe(401);
  });

  it('refuses a cookie-authenticated cross-site POST, and accepts the same one from the same origin', async () => {
    const cookie = await dashboardCookie();
    const post = (site: string) =>
      fetch(url('/admin/jobs/api/jobs/requeue'), {
        method: 'POST',
        headers: withCookie(cookie, { 'content-type': 'application/json', accept: 'application/json', 'sec-fetch-site': site }),
        body: JSON.stringify({ jobIds: [] }),
        redirect: 'manual',
      });
    for (const site of ['cross-site', 'same-site']) {
      const refused = await post(site);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual({ error: expect.any(String) });
    }
    const allowed = await post('same-origin');
    expect(allowed.status).toBe(200);
    expect(await allowed.json()).toEqual({ requeuedCount: 0 });
  });

  it('logs out by clearing the cookie', async () => {
    const res = await fetch(url('/admin/logout'), { method: 'POST', headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/login');
    const set = dashboardSetCookie(res);
    expect(set).toBeDefined();
    expect(cookieValue(set!)).toBe('');
    const attrs = attributes(set!);
    expect(attrs.get('max-age')).toBe('0');
    expect(attrs.get('path')).toBe('/admin');
    expect(attrs.has('httponly')).toBe(true);
  });
});

describe('job dashboard: shutdown and cross-site logout', () => {
  it('refuses a cross-site logout (an outside page cannot sign an admin out)', async () => {
    const res = await fetch(url('/admin/logout'), { method: 'POST', headers: { 'sec-fetch-site': 'cross-site' }, redirect: 'manual' });
    expect(res.status).toBe(403);
    expect(dashboardSetCookie(res)).toBeUndefined();
  });

  it('ends open live-event streams when the server stops, instead of waiting out the HTTP grace period', async () => {
    const own = await startTestApp();
    const token = await own.adminToken();
    const stream = await fetch(`${own.url}/admin/jobs/api/events`, { headers: { authorization: `Bearer ${token}` } });
    expect(stream.status).toBe(200);
    const reader = stream.body!.getReader();
    const ended = (async () => {
      while (!(await reader.read()).done);
      return 'ended';
    })();
    const started = Date.now();
    await own.stop();
    // Apollo's drain would force-close a lingering connection only after 10 s.
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await ended).toBe('ended');
  });

  it('ends a live-event stream opened with a differently cased path when the server stops', async () => {
    // Express matches paths case-insensitively, so this reaches the same stream. A long shutdown budget
    // (HTTP grace period 10 s) makes waiting it out obvious.
    const own = await startTestApp({ SHUTDOWN_TIMEOUT_MS: '30000' });
    const token = await own.adminToken();
    const stream = await fetch(`${own.url}/admin/jobs/API/EVENTS`, { headers: { authorization: `Bearer ${token}` } });
    expect(stream.status).toBe(200);
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = stream.body!.getReader();
    // A connection cut by the server's force-close (instead of an ended stream) is a failure too.
    const ended = (async () => {
      while (!(await reader.read()).done);
      return 'ended';
    })().catch((e: unknown) => `cut off: ${String(e)}`);
    const started = Date.now();
    await own.stop();
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await ended).toBe('ended');
  });
});
