import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { plainLogger, type Logger } from '../logger.js';

// A UUID, or a Cloudflare ray id as the edge worker forwards it. Nothing free-form: that would let a
// client put any value (say, a private key) into our log lines.
const REQUEST_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16}(?:-[A-Z]{3})?)$/i;

/** Request id for correlation (taken from an x-request-id that is a UUID or ray id, else new), echoed in the response. */
export function requestId(req: IncomingMessage): string {
  return (req as IncomingMessage & { requestId?: string }).requestId!;
}

/** The path of a request URL, without its query string. */
export function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  return q >= 0 ? url.slice(0, q) : url;
}

/**
 * The route a request belongs to, from a fixed list: logs and metric labels name routes, never a raw
 * path, which a client could fill with anything (a key, say) or vary to grow the label set.
 */
export function routeOf(req: IncomingMessage): string {
  const path = pathOf(req);
  if (path === '/graphql' || path === '/healthz' || path === '/readyz' || path === '/metrics') return path;
  if (path.startsWith('/admin/')) return '/admin';
  if (path.startsWith('/webhooks/')) return '/webhooks';
  return 'other';
}

/**
 * One structured line per request: request id, method, route, status, duration. No headers, no
 * bodies, no raw path: nothing the client wrote (only a well-formed x-request-id is reused).
 */
export function requestLog(root: Logger) {
  const logger = plainLogger(root);
  return (req: IncomingMessage, res: ServerResponse): void => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    (req as IncomingMessage & { requestId?: string }).requestId = id;
    res.setHeader('x-request-id', id);
    const started = process.hrtime.bigint();
    const route = routeOf(req);
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const level = res.statusCode >= 500 ? 'error' : route === '/healthz' || route === '/readyz' || route === '/metrics' ? 'debug' : 'info';
      logger[level]({ requestId: id, method: req.method, route, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
  };
}
