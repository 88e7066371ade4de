/**
 * Sends a verified webhook to the origin. Protocol (docs/edge.md, checked by src/http/edge-signature.ts):
 * the unchanged body and Fireblocks signature headers, plus
 *   x-edge-timestamp: unix seconds
 *   x-edge-signature: lowercase hex HMAC-SHA256(EDGE_SHARED_SECRET, timestamp + "." + body bytes)
 *   x-edge-client-ip: CF-Connecting-IP (trusted by the origin only next to a valid x-edge-signature)
 *   x-request-id:     the edge's request id, so both log lines share it
 * Nothing else of the client's request is passed on.
 */
import type { EdgeConfig } from './config.js';
import { concatBytes, toHex, utf8 } from './encoding.js';
import { V1_HEADER, V2_HEADER } from '../../src/services/payouts/fireblocks-signature.js';
import { rejection } from './reasons.js';

export const EDGE_TIMESTAMP_HEADER = 'x-edge-timestamp';
export const EDGE_SIGNATURE_HEADER = 'x-edge-signature';
export const EDGE_CLIENT_IP_HEADER = 'x-edge-client-ip';

export type ForwardOutcome =
  | { decision: 'forwarded'; response: Response; originStatus: number }
  | { decision: 'origin_rejected'; response: Response; originStatus: number }
  | { decision: 'origin_failed'; response: Response; originStatus?: number; reason: 'origin_unreachable' | 'origin_error'; detail: string };

const hmacKeys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let k = hmacKeys.get(secret);
  if (!k) {
    k = crypto.subtle.importKey('raw', utf8(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    hmacKeys.set(secret, k);
  }
  return k;
}

export async function edgeSignature(secret: string, timestamp: string, body: Uint8Array): Promise<string> {
  const mac = await crypto.subtle.sign('HMAC', await hmacKey(secret), concatBytes(utf8(`${timestamp}.`), body));
  return toHex(mac);
}

export async function forwardToOrigin(
  request: Request,
  body: Uint8Array,
  ctx: { config: EdgeConfig; path: string; clientIp: string | null; requestId: string },
): Promise<ForwardOutcome> {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const headers = new Headers({
    'content-type': request.headers.get('content-type') ?? 'application/json',
    [EDGE_TIMESTAMP_HEADER]: timestamp,
    [EDGE_SIGNATURE_HEADER]: await edgeSignature(ctx.config.sharedSecret, timestamp, body),
    'x-request-id': ctx.requestId,
  });
  for (const name of [V2_HEADER, V1_HEADER]) {
    const v = request.headers.get(name);
    if (v !== null) headers.set(name, v);
  }
  if (ctx.clientIp) headers.set(EDGE_CLIENT_IP_HEADER, ctx.clientIp);

  let origin: Response;
  try {
    origin = await fetch(new URL(ctx.path, ctx.config.originUrl), {
      method: 'POST',
      headers,
      body,
      // A redirect would re-send the webhook somewhere we did not configure.
      redirect: 'manual',
      signal: AbortSignal.timeout(ctx.config.originTimeoutMs),
    });
  } catch (e) {
    const detail = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError') ? 'origin_timeout' : 'origin_connect_failed';
    return { decision: 'origin_failed', response: rejection('origin_unreachable', { headers: { 'retry-after': '30' } }), reason: 'origin_unreachable', detail };
  }

  const status = origin.status;
  if (status >= 200 && status < 300) return { decision: 'forwarded', response: await passThrough(origin), originStatus: status };
  // 4xx: the origin judged the request itself; the sender should see that, not a retryable error.
  if (status >= 400 && status < 500) return { decision: 'origin_rejected', response: await passThrough(origin), originStatus: status };
  await origin.body?.cancel();
  const detail = status >= 500 ? 'origin_5xx' : 'origin_unexpected_status';
  return { decision: 'origin_failed', response: rejection('origin_error'), originStatus: status, reason: 'origin_error', detail };
}

/** Status, content type and body only: origin cookies and internals stay behind the edge. */
async function passThrough(origin: Response): Promise<Response> {
  const headers = new Headers();
  const type = origin.headers.get('content-type');
  if (type) headers.set('content-type', type);
  return new Response(await origin.arrayBuffer(), { status: origin.status, headers });
}
