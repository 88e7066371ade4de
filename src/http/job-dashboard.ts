import type { IncomingMessage } from 'node:http';
import type { Agenda, Job, JobWithState } from 'agenda';
import { AgendashController, createExpressMiddleware } from 'agendash';
import { parseCookie, stringifySetCookie } from 'cookie';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import type { PlainReads } from '../db/plain-reads.js';
import { Role } from '../entities/role.js';
import { jobRegistry } from '../jobs/registry.js';
import type { Logger } from '../logger.js';
import { recordAudit } from '../services/audit/record-audit.js';
import type { Actor } from '../services/auth/actor.js';
import { authenticate, bearerToken } from '../services/auth/authenticate.js';
import { login, loginSettings } from '../services/auth/login.js';
import { logoutToken } from '../services/auth/sessions.js';
import { DomainError, RateLimitedError } from '../services/errors.js';

export const DASHBOARD_PATH = '/admin/jobs';
export const LOGIN_PATH = '/admin/login';
const COOKIE = 'vestline_dashboard';

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function loginPage(message?: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Vestline jobs: sign in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:16px system-ui,sans-serif;background:#f4f5f7;display:grid;place-items:center;height:100vh;margin:0}
form{background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002;width:20rem}
label{display:block;margin:.8rem 0 .3rem}input{width:100%;padding:.5rem;box-sizing:border-box}
button{margin-top:1.2rem;width:100%;padding:.6rem;background:#1d4ed8;color:#fff;border:0;border-radius:4px}
p.err{color:#b91c1c}</style></head>
<body><form method="post" action="${LOGIN_PATH}">
<h1>Vestline jobs</h1>${message ? `<p class="err" role="alert">${escapeHtml(message)}</p>` : ''}
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required>
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form></body></html>`;
}

const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";

/**
 * The Agenda dashboard, for SUPER_ADMINs only: API clients send the bearer token, people sign in on a
 * small page that sets an HttpOnly, SameSite=Strict cookie (Secure in production). Agendash has no auth
 * of its own, so nothing reaches it without passing `guard` first.
 */
export interface JobDashboard {
  router: Router;
  /** Ends the dashboard's live event streams, which would otherwise hold shutdown for the HTTP grace period. */
  close(): void;
}

export function jobDashboard(opts: { agenda: Agenda; orm: MikroORM; reads: PlainReads; config: Config; logger: Logger; clientIp: (req: IncomingMessage) => string | null }): JobDashboard {
  const { config } = opts;
  const router = Router();
  // Every dashboard response still open. Streams are found by what they are (text/event-stream), not
  // by their path: Express matches paths case-insensitively, so any path test could be sidestepped.
  const open = new Set<Response>();
  let closing = false;
  const actors = new WeakMap<Request, Actor>();
  const form = express.urlencoded({ extended: false, limit: '4kb' });

  const cookieOptions = { httpOnly: true, sameSite: 'strict' as const, secure: config.isProduction, path: '/admin' };

  router.get(LOGIN_PATH, (_req, res) => {
    res.setHeader('Content-Security-Policy', PAGE_CSP).type('html').send(loginPage());
  });

  router.post(LOGIN_PATH, form, async (req: Request, res: Response) => {
    res.setHeader('Content-Security-Policy', PAGE_CSP);
    const email = typeof req.body?.email === 'string' ? req.body.email : '';
    const password = typeof req.body?.password === 'string' ? req.body.password : '';
    try {
      const result = await login(
        opts.orm.em.fork(),
        { email, password, ip: opts.clientIp(req), siteId: null, audience: 'dashboard' },
        loginSettings(config),
      );
      if (result.user.role !== Role.SUPER_ADMIN) {
        res.status(403).type('html').send(loginPage('Only a SUPER_ADMIN can open the job dashboard.'));
        return;
      }
      res.setHeader('Set-Cookie', stringifySetCookie({ name: COOKIE, value: result.token, ...cookieOptions, maxAge: config.JWT_TTL_SECONDS }));
      res.redirect(303, `${DASHBOARD_PATH}/`);
    } catch (e) {
      if (e instanceof DomainError) {
        const status = e instanceof RateLimitedError ? 429 : 401;
        res.status(status).type('html').send(loginPage(e.message));
        return;
      }
      opts.logger.error({ err: e }, 'dashboard sign-in failed');
      res.status(500).type('html').send(loginPage('Sign-in failed; try again.'));
    }
  });

  router.post('/admin/logout', async (req, res) => {
    if (!sameOrigin(req)) {
      res.status(403).json({ error: 'Cross-site request refused' });
      return;
    }
    // End the cookie's session too, so a copy of the cookie stops working; failing that, still clear it.
    const cookieToken = parseCookie(req.headers.cookie ?? '')[COOKIE];
    if (cookieToken) await logoutToken(opts.orm.em.fork(), cookieToken, config.JWT_SECRET, 'dashboard').catch((err: unknown) => opts.logger.error({ err }, 'dashboard logout failed'));
    res.setHeader('Set-Cookie', stringifySetCookie({ name: COOKIE, value: '', ...cookieOptions, maxAge: 0 }));
    res.redirect(303, LOGIN_PATH);
  });

  const guard = async (req: Request, res: Response, next: NextFunction) => {
    const bearer = bearerToken(req.headers.authorization);
    const cookieToken = parseCookie(req.headers.cookie ?? '')[COOKIE];
    const wantsHtml = !bearer && (req.accepts(['json', 'html']) === 'html');
    const refuse = (status: 401 | 403, message: string) => {
      if (wantsHtml) res.redirect(303, LOGIN_PATH);
      else res.status(status).json({ error: message });
    };
    const token = bearer ?? cookieToken;
    if (!token) return refuse(401, 'Sign in required');
    // A cookie rides along on cross-site requests the browser makes; SameSite=Strict stops that, and
    // so does this, for browsers that ignore it.
    if (!bearer && req.method !== 'GET' && req.method !== 'HEAD' && !sameOrigin(req)) return refuse(403, 'Cross-site request refused');
    try {
      const auth = await authenticate(opts.reads, token, config.JWT_SECRET, bearer ? 'api' : 'dashboard');
      if (!auth.ok) return refuse(401, 'Invalid or expired session');
      if (auth.actor.role !== Role.SUPER_ADMIN) return refuse(403, 'SUPER_ADMIN only');
      // A stream opened after close() would hold shutdown again.
      if (closing) {
        res.status(503).json({ error: 'Shutting down' });
        return;
      }
      open.add(res);
      res.on('close', () => open.delete(res));
      actors.set(req, auth.actor);
      next();
    } catch (e) {
      next(e);
    }
  };

  const actions = dashboardActions({
    agenda: opts.agenda,
    orm: opts.orm,
    logger: opts.logger,
    scope: (req) => ({ actor: actors.get(req) ?? null, siteId: null, ip: opts.clientIp(req) }),
  });
  router.use(DASHBOARD_PATH, guard, actions, createExpressMiddleware(opts.agenda));
  return {
    router,
    close() {
      closing = true;
      // Ordinary answers finish by themselves within the HTTP drain; only streams never end on their own.
      for (const res of open) if (isEventStream(res)) res.end();
    },
  };
}

const KNOWN_JOBS: ReadonlySet<string> = new Set(jobRegistry.map((j) => j.name));
const MAX_IDS = 500;

class BadAction extends Error {}

/** `jobIds` as Agendash's UI sends it: an array of id strings. Anything else is refused, not guessed at. */
function jobIds(body: unknown): string[] {
  const ids = (body as { jobIds?: unknown } | undefined)?.jobIds;
  if (!Array.isArray(ids) || ids.length > MAX_IDS || !ids.every((id) => typeof id === 'string' && id.length > 0 && id.length <= 100)) {
    throw new BadAction(`jobIds must be an array of at most ${MAX_IDS} job ids`);
  }
  return ids as string[];
}

/** An optional text field of the create form; the form sends '' for a field left empty. */
function optionalText(body: Record<string, unknown>, field: string): string | undefined {
  const v = body[field];
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string' || v.length > 100) throw new BadAction(`${field} must be a short text`);
  return v;
}

/**
 * Agendash's write routes (pause, resume, retry, requeue, delete, create), answered here before
 * Agendash sees them, so each one is audited (actor, action, job name and id; never job data) and a
 * job is only created under a name our workers run. This router is matched like Agendash's (Express
 * defaults: case-insensitive, trailing slash optional), so no spelling of a path reaches Agendash
 * unchecked; any other write is refused, in case a later Agendash adds one.
 */
function dashboardActions(opts: {
  agenda: Agenda;
  orm: MikroORM;
  logger: Logger;
  scope: (req: Request) => { actor: Actor | null; siteId: null; ip: string | null };
}): Router {
  const { agenda } = opts;
  const controller = new AgendashController(agenda);
  const router = Router();
  router.use(express.json({ limit: '16kb' }));

  type Audit = { action: string; jobId: string; details: Record<string, unknown> };
  const audit = (req: Request, entries: Audit[]) =>
    opts.orm.em.fork().transactional(async (tx) => {
      const scope = opts.scope(req);
      // Platform entries: jobs work across all sites.
      for (const e of entries) recordAudit(tx, scope, { action: e.action, targetType: 'Job', targetId: e.jobId, siteId: null, details: e.details });
      await tx.flush();
    });

  const handle = (fn: (req: Request) => Promise<unknown>) => async (req: Request, res: Response) => {
    try {
      res.json(await fn(req));
    } catch (e) {
      if (e instanceof BadAction) {
        res.status(400).json({ error: e.message });
        return;
      }
      opts.logger.error({ err: e, path: req.path }, 'job dashboard action failed');
      res.status(500).json({ error: 'The action failed; see the server log' });
    }
  };

  /** The jobs behind `jobIds`; ids of no job are left out (as Agendash does). */
  const findJobs = async (ids: string[]): Promise<JobWithState[]> => {
    try {
      return (await agenda.queryJobs({ ids })).jobs;
    } catch {
      // A malformed id (not a UUID / ObjectId) makes the backend throw; the id itself stays out of the log.
      throw new BadAction('unknown or malformed job id');
    }
  };

  /**
   * An action on existing jobs: the audit entries are written first, in a transaction that commits
   * only after the action succeeded, so there is no change without a trace and no trace of a change
   * that did not happen.
   */
  const onJobs = (action: string, none: Record<string, unknown>, run: (ids: string[]) => Promise<Record<string, unknown>>) =>
    handle(async (req) => {
      const ids = jobIds(req.body);
      if (!ids.length) return none;
      const jobs = await findJobs(ids);
      if (!jobs.length) return none;
      return opts.orm.em.fork().transactional(async (tx) => {
        const scope = opts.scope(req);
        for (const j of jobs) recordAudit(tx, scope, { action, targetType: 'Job', targetId: String(j._id), siteId: null, details: { name: j.name } });
        await tx.flush();
        return run(jobs.map((j) => String(j._id)));
      });
    });

  router.post('/api/jobs/pause', onJobs('job.paused', { pausedCount: 0 }, async (ids) => ({ pausedCount: await agenda.disable({ ids }) })));
  router.post('/api/jobs/resume', onJobs('job.resumed', { resumedCount: 0 }, async (ids) => ({ resumedCount: await agenda.enable({ ids }) })));
  router.post('/api/jobs/retry', onJobs('job.retried', { retriedCount: 0 }, async (ids) => ({ ...(await controller.retryJobs(ids)) })));
  router.post(
    '/api/jobs/delete',
    onJobs('job.deleted', { deleted: false, deletedCount: 0 }, async (ids) => {
      const deletedCount = await agenda.cancel({ ids });
      return { deleted: deletedCount > 0, deletedCount };
    }),
  );

  /**
   * Creates jobs, then audits them with their new ids (an id exists only once the job is stored). If
   * the audit write fails, new jobs are removed again; `every` may have updated an existing repeating
   * job instead, which must not be removed, so that case is only logged.
   */
  const createAudited = async (req: Request, create: () => Promise<Job<unknown>[]>, entries: (ids: string[]) => Audit[], allNew: boolean) => {
    const ids = (await create()).map((j) => String(j.attrs._id));
    try {
      await audit(req, entries(ids));
    } catch (e) {
      if (allNew) await agenda.cancel({ ids }).catch(() => undefined);
      else opts.logger.error({ jobIds: ids }, 'job dashboard change applied but not audited');
      throw e;
    }
  };

  router.post(
    '/api/jobs/requeue',
    handle(async (req) => {
      const ids = jobIds(req.body);
      if (!ids.length) return { requeuedCount: 0 };
      const jobs = await findJobs(ids);
      if (jobs.some((j) => !KNOWN_JOBS.has(j.name))) throw new BadAction('only jobs our workers run can be requeued');
      // A copy of each job, data included, as Agendash does; the entry is about the original.
      await createAudited(
        req,
        () => Promise.all(jobs.map((j) => agenda.now(j.name, j.data))),
        (copies) => jobs.map((j, i) => ({ action: 'job.requeued', jobId: String(j._id), details: { name: j.name, requeuedAs: copies[i]! } })),
        true,
      );
      return { requeuedCount: jobs.length };
    }),
  );

  router.post(
    '/api/jobs/create',
    handle(async (req) => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const name = body.jobName;
      if (typeof name !== 'string' || !KNOWN_JOBS.has(name)) throw new BadAction('jobName must be the name of a job our workers run');
      const schedule = optionalText(body, 'jobSchedule');
      const repeatEvery = optionalText(body, 'jobRepeatEvery');
      const data: unknown = body.jobData;
      const details = { name, ...(schedule ? { schedule } : {}), ...(repeatEvery ? { repeatEvery } : {}) };
      await createAudited(
        req,
        async () => {
          try {
            if (repeatEvery) return [await agenda.every(repeatEvery, name, data)];
            if (schedule) return [await agenda.schedule(schedule, name, data)];
            return [await agenda.now(name, data)];
          } catch {
            throw new BadAction('the schedule or repeat interval is not understood');
          }
        },
        ([id]) => [{ action: 'job.created', jobId: id!, details }],
        !repeatEvery,
      );
      return { created: true };
    }),
  );

  // Agendash's other routes only read; a write this router does not know is refused, not passed on.
  router.use((req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    res.status(405).json({ error: 'Not an action of the job dashboard' });
  });
  return router;
}

function isEventStream(res: Response): boolean {
  return /^\s*text\/event-stream/i.test(String(res.getHeader('content-type') ?? ''));
}

/** Browsers say where a request comes from; one that says another site is refused (CSRF). */
function sameOrigin(req: Request): boolean {
  const site = req.headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'none';
}
