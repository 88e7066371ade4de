import type { JobDefinition } from './job-definition.js';
import { pruneRateLimitsJob } from './prune-rate-limits.job.js';

/** Every job the workers run. Add a job by adding its file here. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each definition has its own data type; Agenda stores it as JSON.
export const jobRegistry: readonly JobDefinition<any>[] = [pruneRateLimitsJob];
