import { AsyncLocalStorage } from 'node:async_hooks';
import { Agenda, type AgendaBackend, type Job } from 'agenda';
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

/** One job run's lock watch: the delay agenda waits between checks, and the timers it started for it. */
interface LockWatch {
  delayMs: number;
  timers: Set<ReturnType<typeof setTimeout>>;
}

const lockWatch = new AsyncLocalStorage<LockWatch>();

const lockWatchInstalled = Symbol.for('vestline.agendaLockWatch');

/** A promise's resolve function: what agenda's `delay()` hands to setTimeout. */
const isPromiseResolver = (fn: unknown): boolean =>
  typeof fn === 'function' && fn.name === '' && Function.prototype.toString.call(fn) === 'function () { [native code] }';

/**
 * Agenda 6.2.6 leaves a timer behind after every job (node_modules/agenda/dist/JobProcessor.js,
 * runOrRetry): it races the job against checkIfJobIsStillAlive(), a loop of
 * `await delay(max(processEvery, lockLifetime) / 2)` whose setTimeout is never stored, so neither the
 * end of the job nor stop()/drain() clears it; it holds the event loop open for up to lockLifetime / 2.
 * No public API reaches it. So setTimeout notes the timers of that exact shape (a promise resolver,
 * that delay) started inside a run we watch, and the run clears them once the job is over: the loop
 * would only wake up to see the job gone and return. Installed once per global object; outside a
 * watched run it costs one AsyncLocalStorage lookup per call.
 */
function noteLockWatchTimers(): void {
  const g = globalThis as typeof globalThis & { [lockWatchInstalled]?: true };
  if (g[lockWatchInstalled]) return;
  g[lockWatchInstalled] = true;
  const original = g.setTimeout;
  const noting = (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
    const timer = original(callback, ms, ...args);
    const watch = lockWatch.getStore();
    if (watch && ms === watch.delayMs && isPromiseResolver(callback)) watch.timers.add(timer);
    return timer;
  };
  // Keeps setTimeout[util.promisify.custom], so `promisify(setTimeout)` still works.
  g.setTimeout = Object.assign(noting, original) as typeof setTimeout;
}

/** The private JobProcessor members the lock-watch workaround uses (agenda 6.2.6). */
interface JobProcessorInternals {
  processEvery: number;
  runOrRetry(job: Job): Promise<void>;
}

/** Runs each job of the started processor under a LockWatch, collected in `running` while it runs. */
function watchJobRuns(agenda: Agenda, running: Set<LockWatch>): void {
  const processor = (agenda as unknown as { jobProcessor?: JobProcessorInternals }).jobProcessor;
  if (typeof processor?.runOrRetry !== 'function') {
    throw new Error('agenda JobProcessor.runOrRetry() not found: revisit the lock-watch workaround in src/jobs/agenda.ts');
  }
  noteLockWatchTimers();
  const runOrRetry = processor.runOrRetry.bind(processor);
  processor.runOrRetry = async (job) => {
    const lockLifetime = agenda.definitions[job.attrs.name]?.lockLifetime ?? 0;
    const watch: LockWatch = { delayMs: Math.max(processor.processEvery / 2, lockLifetime / 2), timers: new Set() };
    running.add(watch);
    try {
      await lockWatch.run(watch, () => runOrRetry(job));
    } finally {
      running.delete(watch);
      for (const timer of watch.timers) clearTimeout(timer);
    }
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
        // The handler's own timers are none of the lock watch's business.
        await lockWatch.exit(() => def.handler(job.attrs.data, { ...opts.deps, logger: log }, { deadline: new Date((job.attrs.lockedAt ?? new Date()).getTime() + 0.8 * def.lockLifetimeMs), touch: () => job.touch() }));
      },
      { concurrency: def.concurrency, lockLifetime: def.lockLifetimeMs },
    );
  }
  await agenda.ready;
  let processing = false;
  const runningWatches = new Set<LockWatch>();

  return {
    agenda,
    backendName: b.backend.name,
    ping: b.ping,
    async startProcessing() {
      await agenda.start();
      watchJobRuns(agenda, runningWatches);
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
        // Jobs still running past the drain timeout keep their lock watch until here.
        for (const watch of runningWatches) for (const timer of watch.timers) clearTimeout(timer);
        await b.close();
      }
    },
  };
}
