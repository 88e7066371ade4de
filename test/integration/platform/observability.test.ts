import { ADMIN_PASSWORD, PASSWORD, createSiteFixture, startTestApp, type TestApp } from '../../support/test-app.js';

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.stop());

describe('metrics', () => {
  it('counts GraphQL operations by name and outcome, and HTTP requests by route', async () => {
    const token = await t.adminToken();
    await t.gql('query WhoAmI { me { id } }', {}, { token, operationName: 'WhoAmI' });
    await t.gql('query Forbidden { auditLog { totalCount } }', {}, { operationName: 'Forbidden' });
    await t.gql('{ nope }');
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toMatch(/vestline_graphql_operations_total\{operation="WhoAmI",type="query",outcome="ok"\} 1/);
    expect(text).toMatch(/vestline_graphql_operations_total\{operation="Forbidden",type="query",outcome="error"\} 1/);
    expect(text).toMatch(/vestline_graphql_operations_total\{operation="anonymous",type="unknown",outcome="rejected"\} 1/);
    expect(text).toMatch(/vestline_graphql_operation_duration_seconds_bucket\{le="[\d.]+",operation="WhoAmI",outcome="ok"\}/);
    expect(text).toMatch(/vestline_http_requests_total\{method="POST",route="\/graphql",status="200"\}/);
    expect(text).toMatch(/vestline_process_cpu_user_seconds_total/);
  });

  it('does not grow labels without bound from client-chosen operation names or paths', async () => {
    for (let i = 0; i < 5; i++) await fetch(`${t.url}/random-${i}`);
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).not.toMatch(/random-/);
    expect(text).toMatch(/route="other",status="404"/);
  });
});

describe('metrics token', () => {
  it('guards /metrics when METRICS_TOKEN is set', async () => {
    const guarded = await startTestApp({ METRICS_TOKEN: 'metrics-token-0123456789' });
    try {
      expect((await fetch(`${guarded.url}/metrics`)).status).toBe(401);
      expect((await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789ab' } })).status).toBe(401);
      const ok = await fetch(`${guarded.url}/metrics`, { headers: { authorization: 'Bearer metrics-token-0123456789' } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/vestline_http_requests_total/);
    } finally {
      await guarded.stop();
    }
  });
});

describe('logs', () => {
  it('never contain passwords or tokens, even for failed logins and user creation', async () => {
    const f = await createSiteFixture(t, 'logs');
    await t.gql('mutation { login(email: "x@y.zz", password: "wrong-password-value") { token } }');
    const text = t.logs.join('');
    expect(text.length).toBeGreaterThan(100);
    for (const secret of [PASSWORD, ADMIN_PASSWORD, 'wrong-password-value', f.adminToken, f.customerToken]) expect(text).not.toContain(secret);
  });
});

describe('health', () => {
  it('reports liveness and readiness of the database and the job backend', async () => {
    expect(await (await fetch(`${t.url}/healthz`)).json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${t.url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: 'ok', jobs: 'ok', shuttingDown: false } });
  });
});

describe('shutdown drain', () => {
  it('answers /readyz 503 but keeps serving during the drain delay, then closes', async () => {
    const app = await startTestApp({ SHUTDOWN_DRAIN_DELAY_MS: '1500' });
    const stopped = app.stop();
    await new Promise((r) => setTimeout(r, 200));
    const ready = await fetch(`${app.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: { shuttingDown: boolean } }).checks.shuttingDown).toBe(true);
    expect((await app.gql('{ me { id } }')).data).toEqual({ me: null });
    await stopped;
    await expect(fetch(`${app.url}/healthz`)).rejects.toThrow();
  });
});

describe('bootstrap', () => {
  it('created exactly one SUPER_ADMIN and does not create another on the next start', async () => {
    const count = async () => Number((await t.app.db.orm.em.getConnection().execute<{ n: string }[]>("select count(*) as n from app_user where role = 'SUPER_ADMIN'"))[0]!.n);
    expect(await count()).toBe(1);
    expect(t.app.bootstrap).toEqual({ email: 'root@vestline.test' });
    const { startApp } = await import('../../../src/app.js');
    const again = await startApp({ ...t.app.config, PORT: 0, BOOTSTRAP_ADMIN_EMAIL: 'other@vestline.test' }, (await import('../../../src/logger.js')).createLogger('silent'));
    try {
      expect(again.bootstrap).toBeNull();
      expect(await count()).toBe(1);
    } finally {
      await again.stop();
    }
  });
});
