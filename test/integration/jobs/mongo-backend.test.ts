/**
 * Agenda on MongoDB. No MongoDB server can run on the build machines: without AGENDA_MONGODB_URL the
 * test is reported as skipped, under a name that says why, and the app is not started.
 */
import { startTestApp, type TestApp } from '../../support/test-app.js';

const mongoUrl = process.env.AGENDA_MONGODB_URL;
// Picked at load time, so the run counts the test as skipped rather than leaving it out.
const mongoIt = mongoUrl ? it : it.skip;
const why = mongoUrl ? '' : ' (skipped: AGENDA_MONGODB_URL unset, no MongoDB server here)';

let t: TestApp | undefined;
beforeAll(async () => {
  if (mongoUrl) t = await startTestApp({ AGENDA_MONGODB_URL: mongoUrl });
});
afterAll(() => t?.stop());

describe('Agenda on MongoDB', () => {
  mongoIt(`uses the MongoDB backend, reports it ready, and runs a job${why}`, async () => {
    if (!t) throw new Error('the app did not start');
    expect(t.app.jobs.backendName).toBe('MongoDB');
    expect(((await (await fetch(`${t.url}/readyz`)).json()) as { checks: { jobs: string } }).checks.jobs).toBe('ok');
    await t.app.jobs.agenda.now('rate-limits.prune');
    const token = await t.adminToken();
    const end = Date.now() + 15000;
    let lastRunAt: string | null = null;
    while (!lastRunAt && Date.now() < end) {
      const r = await t.gql<{ jobStats: { name: string; lastRunAt: string | null }[] }>('{ jobStats { name lastRunAt } }', {}, { token });
      lastRunAt = r.data?.jobStats.find((j) => j.name === 'rate-limits.prune')?.lastRunAt ?? null;
      if (!lastRunAt) await new Promise((r) => setTimeout(r, 200));
    }
    expect(lastRunAt).not.toBeNull();
  });
});
