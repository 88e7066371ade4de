import type { Deps } from '../deps.js';

/** Jobs get the same dependencies as the API (config, ORM, keyring, clock, logger, metrics, chain). */
export type JobDeps = Deps;

/**
 * One job, one file. Job data is stored in the job table and shown in the dashboard: it carries ids
 * only, never secrets; the handler loads what it needs.
 */
export interface JobDefinition<Data = undefined> {
  /** `domain.action`, e.g. `rate-limits.prune`. */
  name: string;
  /** Repeat interval (Agenda syntax, e.g. "10 minutes"); omit for on-demand jobs. */
  every?: string;
  /** Parallel runs of this job per worker process. */
  concurrency: number;
  /** A run holding its lock longer than this is presumed dead and may be taken by another worker. */
  lockLifetimeMs: number;
  handler(data: Data, deps: JobDeps, run: JobRun): Promise<void>;
}

/** What a handler knows of its own run, to stay within its lock (see lockLifetimeMs). */
export interface JobRun {
  /**
   * 80 % of lockLifetimeMs after the job was locked: a long handler starts no new work after it and
   * reports what it left, so the run ends before another worker may take the job.
   */
  deadline: Date;
  /** Renews the lock (lockedAt = now), e.g. while the last pieces of work finish after the deadline. */
  touch(): Promise<void>;
}

export function defineJob<Data = undefined>(def: JobDefinition<Data>): JobDefinition<Data> {
  return def;
}
