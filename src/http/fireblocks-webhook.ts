import type { Request, Response } from 'express';
import type { Deps } from '../deps.js';
import { parseCustodyWebhook } from '../services/payouts/custody-webhook.js';
import { verifyFireblocksSignature } from '../services/payouts/fireblocks-signature.js';
import { receiveCustodyEvent } from '../services/payouts/receive-custody-event.js';
import { webhookContext } from './edge-signature.js';
import { parseAllowlist } from './ip-allowlist.js';
import { requestId } from './request-log.js';

/**
 * POST /webhooks/fireblocks, behind edgeSignature (raw body, 64 KiB limit, edge HMAC when configured):
 * source IP allowlist, then the Fireblocks signature (v2 JWS or v1, shared with the edge worker), then
 * the event stored once and applied. Answers within milliseconds: the work is a few statements.
 * Custody retries anything but 2xx, so only a request we will never accept gets a 4xx.
 */
export function fireblocksWebhook(deps: Pick<Deps, 'config' | 'logger' | 'orm' | 'reads' | 'events' | 'metrics' | 'payouts'>) {
  const allowlist = deps.config.WEBHOOK_IP_ALLOWLIST ? parseAllowlist(deps.config.WEBHOOK_IP_ALLOWLIST) : null;
  if (allowlist && !allowlist.ok) throw new Error(`WEBHOOK_IP_ALLOWLIST has entries that are not IPs or CIDRs: ${allowlist.invalid.join(', ')}`);
  const { metrics, logger } = deps;

  const refuse = (req: Request, res: Response, status: number, reason: string) => {
    metrics.webhooks.inc({ outcome: 'rejected', reason });
    logger.warn({ requestId: requestId(req), reason }, 'custody webhook refused');
    res.status(status).json({ error: 'webhook refused', reason });
  };

  return async (req: Request, res: Response): Promise<void> => {
    const { rawBody, clientIp } = webhookContext(req);
    if (allowlist?.ok && !allowlist.allows(clientIp)) return refuse(req, res, 403, 'source_ip_not_allowed');
    const headers = { get: (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : null) };
    const check = await verifyFireblocksSignature(headers, rawBody, deps.payouts.webhookKeys);
    // Keys we cannot reach right now: 503, so custody retries later, rather than a refusal it gives up on.
    if (!check.ok) return refuse(req, res, check.reason === 'jwks_unavailable' ? 503 : 401, check.detail);
    const event = parseCustodyWebhook(rawBody);
    if (event.kind === 'invalid') return refuse(req, res, 400, 'malformed_body');
    const outcome = await receiveCustodyEvent(deps, event);
    metrics.webhooks.inc({ outcome, reason: '' });
    res.status(200).json({ ok: true, outcome });
  };
}
