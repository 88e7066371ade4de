import type { IncomingMessage } from 'node:http';
import type { Agenda } from 'agenda';
import { createExpressMiddleware } from 'agendash';
import { parseCookie, stringifySetCookie } from 'cookie';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Config } from '../config.js';
import { Role } from '../entities/role.js';
import type { Logger } from '../logger.js';
import { authenticate, bearerToken } from '../services/auth/authenticate.js';
import { login, loginSettings } from '../services/auth/login.js';
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

export function jobDashboard(opts: { agenda: Agenda; orm: MikroORM; config: Config; logger: Logger; clientIp: (req: IncomingMessage) => string | null }): JobDashboard {
  const { config } = opts;
  const router = Router();
  // Every dashboard response still open. Streams are found by what they are (text/event-stream), not
  // by their path: Express matches paths case-insensitively, so any path test could be sidestepped.
  const open = new Set<Response>();
  let closing = false;
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

  router.post('/admin/logout', (req, res) => {
    if (!sameOrigin(req)) {
      res.status(403).json({ error: 'Cross-site request refused' });
      return;
    }
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
      const auth = await authenticate(opts.orm.em.fork(), token, config.JWT_SECRET, bearer ? 'api' : 'dashboard');
      if (!auth.ok) return refuse(401, 'Invalid or expired session');
      if (auth.actor.role !== Role.SUPER_ADMIN) return refuse(403, 'SUPER_ADMIN only');
      // A stream opened after close() would hold shutdown again.
      if (closing) {
        res.status(503).json({ error: 'Shutting down' });
        return;
      }
      open.add(res);
      res.on('close', () => open.delete(res));
      next();
    } catch (e) {
      next(e);
    }
  };

  router.use(DASHBOARD_PATH, guard, createExpressMiddleware(opts.agenda));
  return {
    router,
    close() {
      closing = true;
      // Ordinary answers finish by themselves within the HTTP drain; only streams never end on their own.
      for (const res of open) if (isEventStream(res)) res.end();
    },
  };
}

function isEventStream(res: Response): boolean {
  return /^\s*text\/event-stream/i.test(String(res.getHeader('content-type') ?? ''));
}

/** Browsers say where a request comes from; one that says another site is refused (CSRF). */
function sameOrigin(req: Request): boolean {
  const site = req.headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'none';
}
