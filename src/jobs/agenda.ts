import { Agenda, type AgendaBackend } from 'agenda';
import { PostgresBackend } from '@agendajs/postgres-backend';
import pg from 'pg';
import type { Logger } from '../logger.js';
import type { JobStat, JobStatsSource } from '../services/jobs/job-stats.js';
import type { JobDefinition, JobDeps } from './job-definition.js';

export interface JobRunner extends JobStatsSource {
  agenda: Agenda;
  backendName: string;
  /** Start taking jobs (worker role) and make sure repeating jobs are scheduled. */
  startProcessing(): Promise<void>;
  /** Stop taking jobs, let running ones finish (up to timeoutMs), release the connection. */
  close(timeoutMs: number): Promise<void>;
}

interface Backend {
  backend: AgendaBackend;
  ping(): Promise<void>;
  close(): Promise<void>;
}

async function postgresBackend(url: string, logger: Logger): Promise<Backend> {
  // A pool of our own, so /readyz can ping exactly what Agenda uses.
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000 });
  pool.on('error', () => undefined); // a dropped idle connection is reported by ping(), not by a crash
  const backend = new PostgresBackend({ pool, tableName: 'agenda_jobs', channelName: 'agenda_jobs', ensureSchema: true });
  // The LISTEN connection reports a lost database as an 'error' event; unhandled, it would kill the
  // process. It reconnects by itself; /readyz tells the outside world meanwhile.
  const channel = backend.notificationChannel as unknown as { on?: (e: 'error', l: (err: Error) => void) => void } | undefined;
  let closing = false;
  channel?.on?.('error', (err) => {
    if (!closing) logger.warn({ err: err.message }, 'job notification channel error');
  });
  return {
    backend,
    async ping() {
      await pool.query('select 1');
    },
    close() {
      closing = true;
      return pool.end();
    },
  };
}

async function mongoBackend(url: string): Promise<Backend> {
  const { MongoBackend, MongoClient } = await import('@agendajs/mongo-backend');
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5000 });
  await client.connect();
  const db = client.db();
  return {
    backend: new MongoBackend({ mongo: db, collection: 'agenda_jobs' }),
    async ping() {
      await db.command({ ping: 1 });
    },
    close: () => client.close(),
  };
}

export async function createJobRunner(opts: {
  databaseUrl: string;
  mongoUrl?: string;
  processEveryMs: number;
  jobs: readonly JobDefinition<unknown>[];
  deps: JobDeps;
  logger: Logger;
}): Promise<JobRunner> {
  const b = opts.mongoUrl ? await mongoBackend(opts.mongoUrl) : await postgresBackend(opts.databaseUrl, opts.logger);
  const agenda = new Agenda({ backend: b.backend, processEvery: opts.processEveryMs, name: `vestline-${process.pid}` });
  agenda.on('error', (err) => opts.logger.error({ err }, 'job backend error'));
  agenda.on('fail', (err, job) => {
    if ('attrs' in job) opts.logger.warn({ job: job.attrs.name, err: (err as Error).message }, 'job failed');
  });

  for (const def of opts.jobs) {
    agenda.define(
      def.name,
      async (job) => {
        const log = opts.logger.child({ job: def.name, jobId: String(job.attrs._id) });
        await def.handler(job.attrs.data, { ...opts.deps, logger: log });
      },
      { concurrency: def.concurrency, lockLifetime: def.lockLifetimeMs },
    );
  }
  await agenda.ready;
  let processing = false;

  return {
    agenda,
    backendName: b.backend.name,
    ping: b.ping,
    async startProcessing() {
      await agenda.start();
      processing = true;
      for (const def of opts.jobs) if (def.every) await agenda.every(def.every, def.name);
    },
    async stats(): Promise<JobStat[]> {
      const overview = await agenda.getJobsOverview();
      return Promise.all(
        overview.map(async (o) => {
          const [lastRun, lastFailed] = await Promise.all([
            agenda.queryJobs({ name: o.name, sort: { lastRunAt: 'desc' }, limit: 1 }),
            agenda.queryJobs({ name: o.name, state: 'failed', sort: { lastFinishedAt: 'desc' }, limit: 1 }),
          ]);
          return {
            name: o.name,
            scheduled: o.scheduled + o.queued + o.repeating,
            running: o.running,
            failed: o.failed,
            completed: o.completed,
            lastRunAt: lastRun.jobs[0]?.lastRunAt ?? null,
            lastFailureReason: lastFailed.jobs[0]?.failReason ?? null,
          };
        }),
      );
    },
    async close(timeoutMs) {
      try {
        if (processing) {
          const result = await agenda.drain({ timeout: timeoutMs, closeConnection: true });
          opts.logger.info({ drain: result }, 'job runner drained');
        } else await agenda.stop(true);
      } finally {
        await b.close();
      }
    },
  };
}
