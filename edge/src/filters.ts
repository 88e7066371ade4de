/**
 * The cheap checks in front of the signature: each answers on its own, without the origin. They run
 * in the order index.ts calls them; the body is read once, here, with a hard cap.
 */
import type { EdgeConfig } from './config.js';
import { rejection, type RejectReason } from './reasons.js';

export type Filtered<T> = { ok: true; value: T } | { ok: false; reason: RejectReason; response: Response };

const pass = <T>(value: T): Filtered<T> => ({ ok: true, value });
const stop = (reason: RejectReason, headers?: Record<string, string>): Filtered<never> => ({
  ok: false,
  reason,
  response: rejection(reason, { headers }),
});

/** Known paths only (404), and on those only POST (405 with Allow). */
export function checkRoute(request: Request, config: EdgeConfig): Filtered<string> {
  const path = new URL(request.url).pathname;
  if (!config.webhookPaths.has(path)) return stop('unknown_path');
  if (request.method !== 'POST') return stop('method_not_allowed', { allow: 'POST' });
  return pass(path);
}

/**
 * Content-Length is checked before reading, and the bytes are counted while reading: a chunked body
 * has no length header, and a lying header must not get a larger body through.
 */
export async function readBody(request: Request, maxBytes: number): Promise<Filtered<Uint8Array>> {
  const declared = request.headers.get('content-length');
  if (declared !== null) {
    if (!/^\d{1,15}$/.test(declared.trim())) return stop('bad_content_length');
    if (Number(declared) > maxBytes) return stop('body_too_large');
  }
  if (!request.body) return pass(new Uint8Array(0));
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return stop('body_too_large');
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.byteLength;
  }
  return pass(body);
}

/** application/json or a +json type, parameters allowed; a charset, when given, must be UTF-8 (RFC 8259). */
export function checkContentType(request: Request): Filtered<void> {
  const raw = request.headers.get('content-type') ?? '';
  const [type = '', ...params] = raw.toLowerCase().split(';').map((s) => s.trim());
  const json = type === 'application/json' || /^application\/[\w.+-]+\+json$/.test(type);
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length).replace(/"/g, '');
  if (!json || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')) return stop('unsupported_media_type');
  return pass(undefined);
}

/** With an allowlist, the client address must be in it; a request without CF-Connecting-IP is refused. */
export function checkSourceIp(clientIp: string | null, config: EdgeConfig): Filtered<void> {
  if (!config.allowlist) return pass(undefined);
  if (!clientIp || !config.allowlist.allows(clientIp)) return stop('ip_not_allowed');
  return pass(undefined);
}

/**
 * Cloudflare's rate limiting binding, keyed by client address. Its counters are per colo and
 * approximate; it keeps a flood off the signature check and the origin, nothing finer.
 */
export async function checkRateLimit(clientIp: string | null, limiter: RateLimit | undefined): Promise<Filtered<void>> {
  if (!limiter) return pass(undefined);
  const { success } = await limiter.limit({ key: clientIp ?? 'unknown' });
  return success ? pass(undefined) : stop('rate_limited', { 'retry-after': '60' });
}
