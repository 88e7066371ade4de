import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type BaseContext } from '@apollo/server';
import type { Logger } from '../logger.js';
import { errorBody } from '../schema/error-map.js';
import { BODY_ERRORS } from './http-errors.js';

type BodyResult = { ok: true; body: unknown } | { ok: false; error: (typeof BODY_ERRORS)[keyof typeof BODY_ERRORS] };

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\b/i;

/** Reads the body up to `limit` bytes; JSON bodies are parsed, anything else is left to Apollo (CSRF, 400). */
async function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  const declared = Number(req.headers['content-length']);
  if (declared > limit) return { ok: false, error: BODY_ERRORS.tooLarge };
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) return { ok: false, error: BODY_ERRORS.tooLarge };
    chunks.push(chunk);
  }
  if (size === 0) return { ok: true, body: undefined };
  const text = Buffer.concat(chunks, size).toString('utf8');
  if (!JSON_TYPE.test(req.headers['content-type'] ?? '')) return { ok: true, body: text };
  try {
    return { ok: true, body: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, error: BODY_ERRORS.malformedJson };
  }
}

/**
 * Apollo on the bare node:http request, without Express: /graphql is the hot path, and Express's
 * router, request/response decoration and body-parser cost more than the GraphQL work of a small read.
 * Same contract as the Express integration: body limit (413), malformed JSON (400), Apollo's CSRF
 * prevention and status codes.
 */
export function graphqlHttpHandler<C extends BaseContext>(
  apollo: ApolloServer<C>,
  opts: { bodyLimit: number; logger: Logger; context: (req: IncomingMessage) => Promise<C> },
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    try {
      const read = req.method === 'GET' || req.method === 'HEAD' ? ({ ok: true, body: undefined } as const) : await readBody(req, opts.bodyLimit);
      if (!read.ok) {
        res.writeHead(read.error.status, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(read.error.body));
        return;
      }
      const headers = new HeaderMap();
      for (const [key, value] of Object.entries(req.headers)) if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
      const url = req.url ?? '';
      const q = url.indexOf('?');
      const result = await apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: (req.method ?? 'GET').toUpperCase(), headers, search: q >= 0 ? url.slice(q) : '', body: read.body },
        context: () => opts.context(req),
      });
      for (const [key, value] of result.headers) res.setHeader(key, value);
      res.statusCode = result.status ?? 200;
      if (result.body.kind === 'complete') {
        res.end(result.body.string);
        return;
      }
      for await (const chunk of result.body.asyncIterator) res.write(chunk);
      res.end();
    } catch (err) {
      // A client that went away mid-request (aborted body, closed socket) is not a server error.
      if (req.destroyed || res.destroyed) return;
      opts.logger.error({ err }, 'unhandled error on /graphql');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify(errorBody('INTERNAL_SERVER_ERROR', 'Internal server error')));
    }
  };
}
