export interface JobStat {
  name: string;
  scheduled: number;
  running: number;
  failed: number;
  completed: number;
  lastRunAt: Date | null;
  lastFailureReason: string | null;
}

/** What the API needs from the job backend (Agenda), so resolvers and tests do not depend on it. */
export interface JobStatsSource {
  stats(): Promise<JobStat[]>;
  /** Throws when the job backend is unreachable (used by /readyz). */
  ping(): Promise<void>;
}
