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
  /** Called before Agenda is stopped: nothing may reconnect from here on. */
  closing(): void;
  close(): Promise<void>;
}

/** Reconnect delays of the LISTEN connection: the first retry, doubled per failure up to the cap. */
const LISTEN_RETRY_FIRST_MS = 500;
const LISTEN_RETRY_MAX_MS = 30_000;

/**
 * What we reach into of agenda 6.2.6's BaseNotificationChannel (node_modules/agenda/dist/notifications/
 * BaseNotificationChannel.js), which @agendajs/postgres-backend 3.0.6's PostgresNotificationChannel
 * extends. Its backoff never grows: PostgresNotificationChannel.connect() begins with clearReconnect(),
 * which resets reconnectAttempts, so every retry waits initialDelayMs (100 ms, and PostgresBackend
 * passes no reconnect options) and emits two 'error' events: about 20 a second while the database is
 * down. After maxAttempts (10) failures in a row it would stop retrying for good.
 */
interface ListenChannel {
  reconnectTimeout: ReturnType<typeof setTimeout> | undefined;
  connect(): Promise<void>;
  scheduleReconnect(): void;
  setState(state: 'reconnecting'): void;
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'stateChange', listener: (state: string) => void): unknown;
}

/**
 * Replaces the channel's reconnect scheduling with an exponential backoff that never gives up, and
 * logs the outage once per state change (lost, each new retry interval, restored) instead of once
 * per failed attempt.
 */
function superviseListenChannel(channel: ListenChannel, logger: Logger): { closing(): void } {
  let closing = false;
  let failures = 0;
  let announcedMs = 0;
  let lostAt: number | undefined;
  let lastError = '';
  channel.on('error', (err) => {
    lastError = err.message;
    if (closing || lostAt !== undefined) return;
    // A lost connection calls scheduleReconnect() right after emitting, which reports it as "lost";
    // any other error still deserves a line of its own.
    queueMicrotask(() => {
      if (!closing && lostAt === undefined) logger.warn({ err: err.message }, 'job notification channel error');
    });
  });
  channel.on('stateChange', (state) => {
    if (state !== 'connected' || lostAt === undefined) return;
    logger.info({ downMs: Date.now() - lostAt }, 'job notification channel restored');
    lostAt = undefined;
    failures = 0;
    announcedMs = 0;
  });
  channel.scheduleReconnect = () => {
    if (closing) return;
    if (lostAt === undefined) {
      lostAt = Date.now();
      logger.warn({ err: lastError }, 'job notification channel lost');
    }
    const delayMs = Math.min(LISTEN_RETRY_FIRST_MS * 2 ** failures, LISTEN_RETRY_MAX_MS);
    failures++;
    if (delayMs !== announcedMs) {
      announcedMs = delayMs;
      logger.info({ retryMs: delayMs }, `job notification channel retrying every ${delayMs / 1000} s`);
    }
    channel.setState('reconnecting');
    channel.reconnectTimeout = setTimeout(() => {
      // A failed connect() emits 'error' and calls scheduleReconnect() itself.
      channel.connect().catch(() => undefined);
    }, delayMs);
  };
  return {
    closing() {
      closing = true;
      clearTimeout(channel.reconnectTimeout);
      channel.reconnectTimeout = undefined;
    },
  };
}

async function postgresBackend(url: string, logger: Logger): Promise<Backend> {
  // A pool of our own, so /readyz can ping exactly what Agenda uses.
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5000 });
  pool.on('error', () => undefined); // a dropped idle connection is reported by ping(), not by a crash
  const backend = new PostgresBackend({ pool, tableName: 'agenda_jobs', channelName: 'agenda_jobs', ensureSchema: true });
  // The LISTEN connection reports a lost database as an 'error' event; unhandled, it would kill the
  // process. It reconnects (with our backoff); /readyz tells the outside world meanwhile.
  const channel = backend.notificationChannel
    ? superviseListenChannel(backend.notificationChannel as unknown as ListenChannel, logger)
    : { closing: () => undefined };
  return {
    backend,
    async ping() {
      await pool.query('select 1');
    },
    closing: () => channel.closing(),
    close() {
      channel.closing();
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
    closing: () => undefined,
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
        // A run stops starting new work at 80 % of its lock, so no second worker can take it over
        // while it still works; long runs renew the lock with touch().
        const deadline = new Date((job.attrs.lockedAt ?? new Date()).getTime() + 0.8 * def.lockLifetimeMs);
        await def.handler(job.attrs.data, { ...opts.deps, logger: log }, { deadline, touch: () => job.touch() });
      },
      { concurrency: def.concurrency, lockLifetime: def.lockLifetimeMs },
    );
  }
  await agenda.ready;
  // Agenda 6.2.6 left a lock-watch timer (lockLifetime / 2) running after every job, holding the
  // process and shutdown open; patches/agenda+6.2.6.patch clears it when the job ends.
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
      b.closing();
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
