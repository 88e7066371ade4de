import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../logger.js';
import { errorBody } from '../schema/error-map.js';

/** Body-parser failures answered in the GraphQL error shape, so clients parse one format. */
export function jsonErrorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(err);
    const e = err as { type?: string; status?: number };
    if (e.type === 'entity.too.large') {
      res.status(413).json(errorBody('BAD_USER_INPUT', 'Request body too large', 'PAYLOAD_TOO_LARGE'));
      return;
    }
    if (e.type === 'entity.parse.failed') {
      res.status(400).json(errorBody('BAD_USER_INPUT', 'Malformed JSON body', 'MALFORMED_JSON'));
      return;
    }
    if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
      res.status(e.status).json(errorBody('BAD_USER_INPUT', 'Bad request'));
      return;
    }
    logger.error({ err, path: req.path }, 'unhandled HTTP error');
    res.status(500).json(errorBody('INTERNAL_SERVER_ERROR', 'Internal server error'));
  };
}
