import { createHmac, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from '../logger.js';
import { requestId } from './request-log.js';

/**
 * The origin side of the edge forwarding protocol (docs/edge.md), mounted on /webhooks for the API
 * role. It reads the raw body (webhook signatures are over the exact bytes, so nothing may parse it
 * first) and, when EDGE_SHARED_SECRET is set, refuses any request the edge worker did not sign:
 *
 *   x-edge-timestamp  unix seconds, within EDGE_MAX_SKEW_SECONDS of our clock (either direction)
 *   x-edge-signature  lowercase hex HMAC-SHA256(secret, timestamp + "." + raw body)
 *   x-edge-client-ip  the client address the edge saw; believed only next to a valid signature
 *
 * Without the secret every request passes (a deployment with no edge); the Fireblocks signature check
 * in the webhook route applies either way. Routes behind it read `webhookContext(req)`.
 */

export const EDGE_TIMESTAMP_HEADER = 'x-edge-timestamp';
export const EDGE_SIGNATURE_HEADER = 'x-edge-signature';
export const EDGE_CLIENT_IP_HEADER = 'x-edge-client-ip';
export const EDGE_MAX_SKEW_SECONDS = 300;
/** Fireblocks webhooks are small; the custody spec caps them at 64 KiB. */
export const WEBHOOK_BODY_LIMIT_BYTES = 64 * 1024;

export interface WebhookRequestContext {
  /** The body exactly as received (empty when there was none). */
  rawBody: Buffer;
  /** From the edge when it signed the request, else the socket / trusted-proxy address. */
  clientIp: string | null;
  /** True when a valid edge signature came with the request. */
  viaEdge: boolean;
}

export type EdgeRejectReason =
  | 'edge_signature_missing'
  | 'edge_timestamp_invalid'
  | 'edge_timestamp_out_of_range'
  | 'edge_signature_malformed'
  | 'edge_signature_mismatch';

export type EdgeCheck = { ok: true } | { ok: false; reason: EdgeRejectReason };

const contexts = new WeakMap<Request, WebhookRequestContext>();

/** The raw body and client address of a request that went through `edgeSignature`. */
export function webhookContext(req: Request): WebhookRequestContext {
  const ctx = contexts.get(req);
  if (!ctx) throw new Error('webhookContext: the edgeSignature middleware is not mounted in front of this route');
  return ctx;
}

/** Pure check of one request's edge headers; `nowSeconds` is injectable for tests. */
export function verifyEdgeSignature(input: {
  secret: string;
  timestamp: string | undefined;
  signature: string | undefined;
  body: Buffer;
  nowSeconds: number;
}): EdgeCheck {
  const { timestamp, signature } = input;
  if (timestamp === undefined || signature === undefined) return { ok: false, reason: 'edge_signature_missing' };
  if (!/^\d{1,15}$/.test(timestamp)) return { ok: false, reason: 'edge_timestamp_invalid' };
  if (Math.abs(input.nowSeconds - Number(timestamp)) > EDGE_MAX_SKEW_SECONDS) return { ok: false, reason: 'edge_timestamp_out_of_range' };
  if (!/^[0-9a-f]{64}$/i.test(signature)) return { ok: false, reason: 'edge_signature_malformed' };
  const expected = createHmac('sha256', input.secret).update(`${timestamp}.`).update(input.body).digest();
  const given = Buffer.from(signature, 'hex');
  return timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'edge_signature_mismatch' };
}

function single(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? undefined : v;
}

/**
 * Mount with `app.use('/webhooks', edgeSignature({ secret: config.EDGE_SHARED_SECRET, logger }))`,
 * then the webhook routes after it.
 */
export function edgeSignature(opts: { secret: string | undefined; logger: Logger; now?: () => number; onRefuse?: (reason: string) => void }): RequestHandler {
  const now = opts.now ?? Date.now;
  // inflate off: the signatures are over the bytes on the wire, not a decompressed copy.
  const readRaw = express.raw({ type: () => true, limit: WEBHOOK_BODY_LIMIT_BYTES, inflate: false });
  const refuse = (res: Response, status: number, error: string, reason: string) => {
    opts.onRefuse?.(reason);
    res.status(status).json({ error, reason });
  };

  return (req: Request, res: Response, next: NextFunction) => {
    readRaw(req, res, (err?: unknown) => {
      if (err) {
        const e = err as { type?: string; status?: number };
        if (e.type === 'entity.too.large') return refuse(res, 413, 'Request body too large', 'body_too_large');
        if (typeof e.status === 'number' && e.status >= 400 && e.status < 500) return refuse(res, e.status, 'Unreadable request body', 'bad_body');
        return next(err);
      }
      const rawBody = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      if (opts.secret === undefined) {
        contexts.set(req, { rawBody, clientIp: req.ip ?? null, viaEdge: false });
        return next();
      }
      const check = verifyEdgeSignature({
        secret: opts.secret,
        timestamp: single(req.headers[EDGE_TIMESTAMP_HEADER]),
        signature: single(req.headers[EDGE_SIGNATURE_HEADER]),
        body: rawBody,
        nowSeconds: Math.floor(now() / 1000),
      });
      if (!check.ok) {
        opts.logger.warn({ requestId: requestId(req), path: req.originalUrl.split('?')[0], reason: check.reason }, 'edge signature refused');
        return refuse(res, 401, 'Valid edge signature required', check.reason);
      }
      const edgeIp = single(req.headers[EDGE_CLIENT_IP_HEADER])?.trim();
      contexts.set(req, { rawBody, clientIp: edgeIp && isIP(edgeIp) ? edgeIp : (req.ip ?? null), viaEdge: true });
      next();
    });
  };
}
