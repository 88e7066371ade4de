/**
 * Vestline's webhook edge: a Cloudflare module worker in front of the API's /webhooks/*. It answers
 * everything it can on its own (wrong route, oversized, not JSON, wrong source, rate limited, bad
 * Fireblocks signature, replayed) and forwards the rest to ORIGIN_URL with an HMAC the API checks.
 * docs/edge.md describes deployment, configuration and the forwarding protocol.
 */
import { loadConfig } from './config.js';
import type { Env } from './env.js';
import { checkContentType, checkRateLimit, checkRoute, checkSourceIp, readBody } from './filters.js';
import { verifyFireblocksSignature } from '../../src/services/payouts/fireblocks-signature.js';
import { forwardToOrigin } from './forward.js';
import { writeLog, type RequestLog } from './log.js';
import { rejection } from './reasons.js';
import { replayKey, replayStore } from './replay.js';

const REQUEST_ID = /^[\w-]{8,64}$/;

type Handled = Pick<RequestLog, 'decision' | 'reason' | 'detail' | 'scheme' | 'originStatus' | 'replayStore'> & { response: Response };

function rejected(f: { reason: string; response: Response }): Handled {
  return { decision: 'rejected', response: f.response, reason: f.reason };
}

async function handle(request: Request, env: Env, ctx: ExecutionContext, clientIp: string | null, requestId: string): Promise<Handled> {
  const loaded = await loadConfig(env);
  if (!loaded.ok) return { decision: 'error', response: rejection('edge_misconfigured'), reason: 'edge_misconfigured', detail: loaded.problems.join('; ') };
  const config = loaded.config;

  const route = checkRoute(request, config);
  if (!route.ok) return rejected(route);
  const body = await readBody(request, config.maxBodyBytes);
  if (!body.ok) return rejected(body);
  const type = checkContentType(request);
  if (!type.ok) return rejected(type);
  const source = checkSourceIp(clientIp, config);
  if (!source.ok) return rejected(source);
  // After the allowlist (outsiders were refused for free) and before the RSA work it protects.
  const limited = await checkRateLimit(clientIp, env.RATE_LIMITER);
  if (!limited.ok) return rejected(limited);

  const sig = await verifyFireblocksSignature(request.headers, body.value, config);
  if (!sig.ok) {
    const response = rejection(sig.reason, { detail: sig.detail, headers: sig.reason === 'jwks_unavailable' ? { 'retry-after': '60' } : undefined });
    return { decision: sig.reason === 'jwks_unavailable' ? 'error' : 'rejected', response, reason: sig.reason, detail: sig.detail };
  }

  const store = replayStore(env.REPLAY_KV, new URL(request.url).host);
  const key = await replayKey(body.value);
  if (await store.seen(key).catch(() => false)) {
    return { decision: 'duplicate', response: Response.json({ status: 'duplicate' }), scheme: sig.scheme, replayStore: store.kind };
  }

  const out = await forwardToOrigin(request, body.value, { config, path: route.value, clientIp, requestId });
  if (out.decision === 'forwarded') {
    // After the answer: the sender does not wait for our bookkeeping (a KV write takes tens of ms), and
    // Fireblocks never re-sends a delivery that got a 2xx, so the short window before it lands is harmless.
    // A failing store must not fail a delivery the origin already took; worst case a repeat gets through.
    ctx.waitUntil(store.remember(key).catch(() => undefined));
  }
  return {
    decision: out.decision,
    response: out.response,
    scheme: sig.scheme,
    originStatus: out.originStatus,
    replayStore: store.kind,
    ...(out.decision === 'origin_failed' ? { reason: out.reason, detail: out.detail } : {}),
  };
}

export default {
  async fetch(request, env, ctx): Promise<Response> {
    const started = Date.now();
    const clientIp = request.headers.get('cf-connecting-ip');
    const ray = request.headers.get('cf-ray');
    const requestId = ray && REQUEST_ID.test(ray) ? ray : crypto.randomUUID();
    let handled: Handled;
    try {
      handled = await handle(request, env, ctx, clientIp, requestId);
    } catch {
      // The error text could quote request data, so only the fact is logged.
      handled = { decision: 'error', response: rejection('internal_error'), reason: 'internal_error' };
    }
    const { response, ...outcome } = handled;
    // Every answer we build has mutable headers; the id ties a sender's delivery log to our log line.
    response.headers.set('x-request-id', requestId);
    writeLog({
      requestId,
      method: request.method,
      path: new URL(request.url).pathname.slice(0, 200),
      clientIp,
      status: response.status,
      ms: Date.now() - started,
      ...outcome,
    });
    return response;
  },
} satisfies ExportedHandler<Env>;
