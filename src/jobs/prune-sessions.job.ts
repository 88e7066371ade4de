import { pruneExpiredSessions } from '../services/auth/sessions.js';
import { defineJob } from './job-definition.js';

/** Sessions past their expiry can authenticate nothing any more; the table would only grow. */
export const pruneSessionsJob = defineJob({
  name: 'sessions.prune',
  every: '1 hour',
  concurrency: 1,
  lockLifetimeMs: 60_000,
  async handler(_data, { orm, logger }) {
    const removed = await pruneExpiredSessions(orm.em.fork());
    if (removed) logger.info({ removed }, 'pruned expired sessions');
  },
});
