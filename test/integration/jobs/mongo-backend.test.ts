/**
 * Agenda on MongoDB. No MongoDB server can run on the build machines, so jest.config.js includes this
 * file only when AGENDA_MONGODB_URL is set, and prints that it was not run otherwise.
 */
import { startTestApp, type TestApp } from '../../support/test-app.js';

const mongoUrl = process.env.AGENDA_MONGODB_URL!;
let t: TestApp;
beforeAll(async () => {
  t = await startTestApp({ AGENDA_MONGODB_URL: mongoUrl });
});
afterAll(() => t.stop());

describe('Agenda on MongoDB', () => {
  it('uses the MongoDB backend, reports it ready, and runs a job', async () => {
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
