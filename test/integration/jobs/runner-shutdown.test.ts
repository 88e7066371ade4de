/**
 * A stopped job runner leaves nothing running: Agenda 6.2.6 starts a lock-watch timer per job run
 * (lockLifetime / 2, here 30 s) that stop()/drain() never clears; src/jobs/agenda.ts clears it.
 */
import { startTestApp } from '../../support/test-app.js';

const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

it('leaves no timer behind once the app has stopped, after running a job', async () => {
  const before = timers();
  const t = await startTestApp();
  const job = await t.app.jobs.agenda.now('rate-limits.prune');
  const sql = (q: string, p: unknown[]) => t.app.db.orm.em.getConnection().execute<{ last_finished_at: Date | null }[]>(q, p);
  const end = Date.now() + 10000;
  while (Date.now() < end && !(await sql('select last_finished_at from agenda_jobs where id = ?', [String(job.attrs._id)]))[0]?.last_finished_at) {
    await new Promise((r) => setTimeout(r, 50));
  }
  expect((await sql('select last_finished_at from agenda_jobs where id = ?', [String(job.attrs._id)]))[0]?.last_finished_at).toBeTruthy();
  await t.stop();
  // Agenda may still hold a timer for a job due within processEvery (200 ms here): give it that long,
  // far less than the 30 s lock watch this is about. At most as many as before: the count is the whole
  // process's, and a timer an earlier test file left may fire meanwhile.
  const until = Date.now() + 1000;
  while (timers() > before && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  expect(timers()).toBeLessThanOrEqual(before);
});
