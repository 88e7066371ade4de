import { ADMIN_EMAIL, ADMIN_PASSWORD, PASSWORD, createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';

const JOB = 'rate-limits.prune';
const JOB_STATS = 'query { jobStats { name scheduled running failed completed lastRunAt lastFailureReason } }';

interface JobStat {
  name: string;
  scheduled: number;
  running: number;
  failed: number;
  completed: number;
  lastRunAt: string | null;
  lastFailureReason: string | null;
}

let t: TestApp;
let site: SiteFixture;

beforeAll(async () => {
  t = await startTestApp();
  site = await createSiteFixture(t, 'jobs-site');
});
afterAll(() => t.stop());

const sql = <T = Record<string, unknown>>(query: string, params: unknown[] = []) =>
  t.app.db.orm.em.getConnection().execute<T[]>(query, params);

/** Polls `check` until it returns a value other than undefined, for at most `ms`. */
async function waitFor<T>(what: string, check: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 100));
  }
}

async function bucketKeys(prefix: string): Promise<string[]> {
  const rows = await sql<{ key: string }>('select key from rate_limit_bucket where key like ? order by key', [`${prefix}%`]);
  return rows.map((r) => r.key);
}

describe('job worker', () => {
  it('runs rate-limits.prune on demand: expired windows go, live ones stay', async () => {
    const prefix = `test:prune:${Date.now()}:`;
    await sql(
      `insert into rate_limit_bucket (key, hits, expires_at) values
         (?, 3, now() - interval '1 minute'),
         (?, 2, now() + interval '1 hour')`,
      [`${prefix}expired`, `${prefix}live`],
    );
    expect(await bucketKeys(prefix)).toEqual([`${prefix}expired`, `${prefix}live`]);

    const triggeredAt = Date.now();
    const job = await t.app.jobs.agenda.now(JOB);
    const jobId = String(job.attrs._id);

    // The job row is finished by the worker, not by this test.
    const finished = await waitFor('the triggered job to finish', async () => {
      const rows = await sql<{ last_finished_at: Date | null; fail_reason: string | null }>(
        'select last_finished_at, fail_reason from agenda_jobs where id = ?',
        [jobId],
      );
      return rows[0]?.last_finished_at ? rows[0] : undefined;
    });
    expect(finished.fail_reason).toBeNull();
    expect(new Date(finished.last_finished_at!).getTime()).toBeGreaterThanOrEqual(triggeredAt - 1000);

    await waitFor('the expired window to be pruned', async () => ((await bucketKeys(prefix)).length === 1 ? true : undefined));
    expect(await bucketKeys(prefix)).toEqual([`${prefix}live`]);

    // jobStats reports the run to a SUPER_ADMIN.
    const r = await t.gql<{ jobStats: JobStat[] }>(JOB_STATS, {}, { token: await t.adminToken() });
    expect(r.errors).toBeUndefined();
    const stat = r.data!.jobStats.find((s) => s.name === JOB);
    expect(stat).toBeDefined();
    expect(stat!.lastRunAt).not.toBeNull();
    const lastRunAt = new Date(stat!.lastRunAt!).getTime();
    expect(lastRunAt).toBeGreaterThanOrEqual(triggeredAt - 1000);
    expect(lastRunAt).toBeLessThanOrEqual(Date.now() + 1000);
    expect(stat!.completed).toBeGreaterThanOrEqual(1);
    expect(stat!.failed).toBe(0);
    expect(stat!.lastFailureReason).toBeNull();
    // The repeating schedule is still in place for the next run.
    expect(stat!.scheduled).toBeGreaterThanOrEqual(1);
  });

  it('schedules rate-limits.prune to repeat every 10 minutes', async () => {
    const rows = await sql<{ repeat_interval: string | null; next_run_at: Date | null }>(
      'select repeat_interval, next_run_at from agenda_jobs where name = ? and repeat_interval is not null',
      [JOB],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.repeat_interval).toBe('10 minutes');
    expect(rows[0]!.next_run_at).not.toBeNull();
  });
});

describe('jobStats permissions', () => {
  it('is UNAUTHENTICATED for an anonymous caller', async () => {
    const r = await t.gql(JOB_STATS);
    expect(r.data?.jobStats ?? null).toBeNull();
    expect(r.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });

  it('is FORBIDDEN for a CUSTOMER', async () => {
    const r = await t.gql(JOB_STATS, {}, { token: site.customerToken, siteId: site.siteId });
    expect(r.data?.jobStats ?? null).toBeNull();
    expect(r.errors![0]!.extensions!.code).toBe('FORBIDDEN');
  });
});

describe('job data', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  /** Every leaf of a JSON value. */
  const leaves = (v: unknown): unknown[] => (v !== null && typeof v === 'object' ? Object.values(v).flatMap(leaves) : [v]);

  it('holds ids only, never tokens or passwords, for a job created with data from a signed-in dashboard session', async () => {
    // Secrets in play: sessions for every role and a dashboard cookie, which creates the job below.
    const tokens = [await t.adminToken(), site.adminToken, site.operatorToken, site.customerToken];
    const form = await fetch(`${t.url}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }).toString(),
      redirect: 'manual',
    });
    expect(form.status).toBe(303);
    const cookie = form.headers.getSetCookie().find((c) => c.startsWith('vestline_dashboard='))!.split(';')[0]!;
    const cookieToken = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1));
    expect(cookieToken.length).toBeGreaterThan(20);

    const before = await sql<{ id: string }>('select id from agenda_jobs');
    const data = { siteId: site.siteId };
    const created = await fetch(`${t.url}/admin/jobs/api/jobs/create`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ jobName: JOB, jobData: data }),
    });
    expect(created.status).toBe(200);
    const known = new Set(before.map((r) => r.id));
    // It runs, so whatever a run writes back to the row is checked too.
    const row = await waitFor('the created job to run', async () => {
      const rows = await sql<{ id: string; last_finished_at: Date | null }>('select id, last_finished_at from agenda_jobs where name = ?', [JOB]);
      const mine = rows.filter((r) => !known.has(r.id));
      return mine.length === 1 && mine[0]!.last_finished_at ? mine[0] : undefined;
    });

    const stored = await sql<Record<string, unknown>>('select * from agenda_jobs where data is not null');
    expect(stored.map((r) => r.id)).toContain(row.id);
    expect(stored.find((r) => r.id === row.id)!.data).toEqual(data);
    const secrets = [...tokens, cookieToken, ADMIN_PASSWORD, PASSWORD, t.app.config.JWT_SECRET];
    for (const r of stored) {
      for (const leaf of leaves(r.data)) expect(String(leaf)).toMatch(UUID);
      const text = JSON.stringify(r);
      expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+/); // a JWT: base64url("{"...) . payload . signature
      expect(text).not.toMatch(/password|secret|token/i);
      for (const secret of secrets) expect(text).not.toContain(secret);
    }
  });
});
