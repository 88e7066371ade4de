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
  it('never carries tokens or passwords', async () => {
    // Make sure there is something that could leak: sessions for every role, a dashboard cookie, and a run.
    const tokens = [await t.adminToken(), site.adminToken, site.operatorToken, site.customerToken];
    const form = await fetch(`${t.url}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }).toString(),
      redirect: 'manual',
    });
    expect(form.status).toBe(303);
    const job = await t.app.jobs.agenda.now(JOB);
    await waitFor('the job to finish', async () => {
      const rows = await sql<{ last_finished_at: Date | null }>('select last_finished_at from agenda_jobs where id = ?', [String(job.attrs._id)]);
      return rows[0]?.last_finished_at ? true : undefined;
    });

    const rows = await sql<{ name: string; data: unknown; fail_reason: string | null }>('select name, data, fail_reason from agenda_jobs');
    expect(rows.length).toBeGreaterThanOrEqual(2);
    const secrets = [...tokens, ADMIN_PASSWORD, PASSWORD, t.app.config.JWT_SECRET];
    for (const row of rows) {
      const text = JSON.stringify(row.data ?? null);
      expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\.[\w-]*/); // a JWT: base64url("{"...) . payload . signature
      expect(text).not.toMatch(/password|secret|token/i);
      for (const s of secrets) expect(text).not.toContain(s);
      expect(row.fail_reason ?? '').not.toMatch(/eyJ[\w-]+\.[\w-]+/);
    }
  });
});
