import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../logger.js';

// A UUID, or a Cloudflare ray id as the edge worker forwards it. Nothing free-form: that would let a
// client put any value (say, a private key) into our log lines.
const REQUEST_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16}(?:-[A-Z]{3})?)$/i;

/** Request id for correlation (taken from an x-request-id that is a UUID or ray id, else new), echoed in the response. */
export function requestId(req: Request): string {
  return (req as Request & { requestId?: string }).requestId!;
}

/** One structured line per request: method, path, status, duration, request id. No headers, no bodies. */
export function requestLog(logger: Logger) {
  return (req: Request, res: Response, next: NextFunction) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    (req as Request & { requestId?: string }).requestId = id;
    res.setHeader('x-request-id', id);
    const started = process.hrtime.bigint();
    const path = req.path;
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const level = res.statusCode >= 500 ? 'error' : path === '/healthz' || path === '/readyz' || path === '/metrics' ? 'debug' : 'info';
      logger[level]({ requestId: id, method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
    next();
  };
}
