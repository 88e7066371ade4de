import { ADMIN_EMAIL, ADMIN_PASSWORD, startTestApp, type TestApp } from '../../support/test-app.js';

const COOKIE = 'vestline_dashboard';
// Registered and harmless: it only deletes expired rate-limit rows.
const JOB = 'rate-limits.prune';
// Looks like data a caller might send; it must never reach the audit log.
const DATA = { note: 'job-data-must-not-be-audited' };

interface AuditRow {
  action: string;
  actor_id: string | null;
  site_id: string | null;
  target_type: string;
  target_id: string;
  details: Record<string, unknown>;
  ip: string | null;
}

let t: TestApp;
let adminId: string;

beforeAll(async () => {
  t = await startTestApp();
  await t.adminToken();
  const [row] = await sql<{ id: string }>('select id from app_user where email = ?', [ADMIN_EMAIL]);
  adminId = row!.id;
});
afterAll(() => t.stop());

function sql<T>(query: string, params: unknown[] = []): Promise<T[]> {
  return t.app.db.orm.em.fork().getConnection().execute<T[]>(query, params);
}

const audits = (action: string) =>
  sql<AuditRow>('select action, actor_id, site_id, target_type, target_id, details, ip from audit_entry where action = ? order by at', [action]);
const jobAudits = () => sql<AuditRow>("select action, actor_id, site_id, target_type, target_id, details, ip from audit_entry where action like 'job.%' order by at");

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${t.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await t.adminToken()}`, 'content-type': 'application/json', accept: 'application/json', ...headers },
    body: JSON.stringify(body),
    redirect: 'manual',
  });
}

/** A job of JOB scheduled an hour out (so the worker leaves it alone), created straight through Agenda. */
async function scheduledJob(): Promise<string> {
  const job = await t.app.jobs.agenda.schedule('in 1 hour', JOB, DATA);
  return String(job.attrs._id);
}

async function jobsNamed(name: string) {
  return (await t.app.jobs.agenda.queryJobs({ name })).jobs;
}

describe('job dashboard actions are audited', () => {
  it('audits a pause with actor, action, job name and id, as a platform entry without job data', async () => {
    const id = await scheduledJob();
    const res = await post('/admin/jobs/api/jobs/pause', { jobIds: [id] });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ pausedCount: 1 });
    const rows = (await audits('job.paused')).filter((r) => r.target_id === id);
    expect(rows).toEqual([
      { action: 'job.paused', actor_id: adminId, site_id: null, target_type: 'Job', target_id: id, details: { name: JOB }, ip: expect.any(String) },
    ]);
    expect(JSON.stringify(rows)).not.toContain(DATA.note);
  });

  it('audits resume, retry, requeue and delete', async () => {
    const id = await scheduledJob();
    for (const [path, answer] of [
      ['resume', { resumedCount: 1 }],
      ['retry', { retriedCount: 1 }],
      ['requeue', { requeuedCount: 1 }],
      ['delete', { deleted: true, deletedCount: 1 }],
    ] as const) {
      const res = await post(`/admin/jobs/api/jobs/${path}`, { jobIds: [id] });
      expect({ path, status: res.status, body: await res.json() }).toEqual({ path, status: 200, body: answer });
    }
    const mine = (await jobAudits()).filter((r) => r.target_id === id);
    expect(mine.map((r) => r.action)).toEqual(['job.resumed', 'job.retried', 'job.requeued', 'job.deleted']);
    for (const r of mine) expect(r).toMatchObject({ actor_id: adminId, site_id: null, target_type: 'Job', details: expect.objectContaining({ name: JOB }) });
    // The requeued copy is a new job: its id is named so the two can be followed.
    const requeued = mine.find((r) => r.action === 'job.requeued')!;
    expect(requeued.details).toEqual({ name: JOB, requeuedAs: expect.any(String) });
    expect(requeued.details.requeuedAs).not.toBe(id);
    expect(JSON.stringify(mine)).not.toContain(DATA.note);
    expect(await t.app.jobs.agenda.queryJobs({ id })).toMatchObject({ total: 0 });
  });

  it('audits a job created from the dashboard with its new id, never its data', async () => {
    const before = new Set((await jobsNamed(JOB)).map((j) => String(j._id)));
    const res = await post('/admin/jobs/api/jobs/create', { jobName: JOB, jobSchedule: 'in 2 hours', jobData: DATA });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ created: true });
    const created = (await jobsNamed(JOB)).filter((j) => !before.has(String(j._id)));
    expect(created).toHaveLength(1);
    const id = String(created[0]!._id);
    const rows = (await audits('job.created')).filter((r) => r.target_id === id);
    expect(rows).toEqual([
      { action: 'job.created', actor_id: adminId, site_id: null, target_type: 'Job', target_id: id, details: { name: JOB, schedule: 'in 2 hours' }, ip: expect.any(String) },
    ]);
    expect(JSON.stringify(rows)).not.toContain(DATA.note);
  });

  it('records the signed-in user of a cookie session as the actor', async () => {
    const login = await fetch(`${t.url}/admin/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }).toString(),
      redirect: 'manual',
    });
    const cookie = login.headers.getSetCookie().find((c) => c.startsWith(`${COOKIE}=`))!.split(';')[0]!;
    const id = await scheduledJob();
    const res = await fetch(`${t.url}/admin/jobs/api/jobs/pause`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json', accept: 'application/json', 'sec-fetch-site': 'same-origin' },
      body: JSON.stringify({ jobIds: [id] }),
    });
    expect(res.status).toBe(200);
    expect((await audits('job.paused')).filter((r) => r.target_id === id)).toEqual([expect.objectContaining({ actor_id: adminId })]);
  });
});

describe('job dashboard refuses jobs it does not know', () => {
  it.each([
    ['/admin/jobs/api/jobs/create', 'not.a-job'],
    ['/admin/jobs/api/jobs/create', 'wallets.sync-balances '],
    // Express matches paths case-insensitively: the check must hold on every spelling that reaches Agendash.
    ['/admin/jobs/API/JOBS/CREATE', 'not.a-job'],
    ['/admin/jobs/api/jobs/create/', 'not.a-job'],
  ])('refuses %s with name %j (4xx), creates nothing and audits nothing', async (path, jobName) => {
    const before = (await jobAudits()).length;
    for (const body of [{ jobName }, { jobName, jobSchedule: 'in 1 hour' }, { jobName, jobRepeatEvery: '1 hour' }]) {
      const res = await post(path, body);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(await res.json()).toEqual({ error: expect.any(String) });
    }
    expect(await jobsNamed(jobName)).toEqual([]);
    expect((await jobAudits()).length).toBe(before);
  });

  it('refuses a create without a name or with a malformed body', async () => {
    const before = (await jobAudits()).length;
    const jobs = (await jobsNamed(JOB)).length;
    for (const body of [{}, { jobName: 42 }, { jobName: JOB, jobSchedule: 7 }, { jobName: JOB, jobRepeatEvery: ['1 hour'] }]) {
      const res = await post('/admin/jobs/api/jobs/create', body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
    }
    expect((await jobAudits()).length).toBe(before);
    expect((await jobsNamed(JOB)).length).toBe(jobs);
  });

  it('refuses a write the dashboard has no audited action for', async () => {
    for (const path of ['/admin/jobs/api/jobs/purge', '/admin/jobs/api', '/admin/jobs/']) {
      const res = await post(path, { jobIds: [] });
      expect({ path, status: res.status }).toEqual({ path, status: 405 });
    }
  });

  it('refuses malformed job ids without touching any job', async () => {
    const id = await scheduledJob();
    for (const body of [{ jobIds: 'all' }, { jobIds: [42] }, { jobIds: [id, { $ne: null }] }]) {
      const res = await post('/admin/jobs/api/jobs/delete', body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
    }
    expect(await t.app.jobs.agenda.queryJobs({ id })).toMatchObject({ total: 1 });
  });

  it('answers an action on no ids the way Agendash does, and audits nothing', async () => {
    const before = (await jobAudits()).length;
    const res = await post('/admin/jobs/api/jobs/pause', { jobIds: [] });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ pausedCount: 0 });
    expect((await jobAudits()).length).toBe(before);
  });
});
