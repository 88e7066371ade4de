import { sendDueEmails } from '../services/notifications/email/send-emails.js';
import { defineJob } from './job-definition.js';

/** Customer e-mails that are due (new, or whose retry time came) are sent; skipped while SMTP_URL is unset. */
export const sendEmailsJob = defineJob({
  name: 'emails.send',
  every: '10 seconds',
  concurrency: 1,
  lockLifetimeMs: 300_000,
  async handler(_data, deps, run) {
    const r = await sendDueEmails(deps, run.deadline);
    if (r.attempted || r.skipped) deps.logger.info(r, 'customer e-mails');
  },
});
