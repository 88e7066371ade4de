import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../logger.js';
import { errorBody } from '../schema/error-map.js';

/** The answers to a body the server will not read, the same on /graphql and on Express routes. */
export const BODY_ERRORS = {
  tooLarge: { status: 413, body: errorBody('BAD_USER_INPUT', 'Request body too large', 'PAYLOAD_TOO_LARGE') },
  malformedJson: { status: 400, body: errorBody('BAD_USER_INPUT', 'Malformed JSON body', 'MALFORMED_JSON') },
} as const;

/** Body-parser failures answered in the GraphQL error shape, so clients parse one format. */
export function jsonErrorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) return next(err);
    const e = err as { type?: string; status?: number };
    if (e.type === 'entity.too.large') {
      res.status(BODY_ERRORS.tooLarge.status).json(BODY_ERRORS.tooLarge.body);
      return;
    }
    if (e.type === 'entity.parse.failed') {
      res.status(BODY_ERRORS.malformedJson.status).json(BODY_ERRORS.malformedJson.body);
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
