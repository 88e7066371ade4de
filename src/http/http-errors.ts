import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../logger.js';

/** Body-parser failures answered in the GraphQL error shape, so clients parse one format. */
export function jsonErrorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(err);
    const e = err as { type?: string; status?: number };
    if (e.type === 'entity.too.large') {
      res.status(413).json({ errors: [{ message: 'Request body too large', extensions: { code: 'BAD_USER_INPUT', reason: 'PAYLOAD_TOO_LARGE' } }] });
      return;
    }
    if (e.type === 'entity.parse.failed') {
      res.status(400).json({ errors: [{ message: 'Malformed JSON body', extensions: { code: 'BAD_USER_INPUT', reason: 'MALFORMED_JSON' } }] });
      return;
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      res.status(e.status).json({ errors: [{ message: 'Bad request', extensions: { code: 'BAD_USER_INPUT' } }] });
      return;
    }
    logger.error({ err, path: req.path }, 'unhandled HTTP error');
    res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] });
  };
}
