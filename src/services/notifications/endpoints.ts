import { randomBytes, randomUUID } from 'node:crypto';
import type { Deps } from '../../deps.js';
import { recordAudit } from '../audit/record-audit.js';
import { requireSiteId } from '../auth/actor.js';
import { asDate } from '../../db/plain-reads.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { Scope } from '../scope.js';
import { openSecret, sealSecret } from '../secrets/sealed-secret.js';
import { WebhookTargetRefusedError } from './errors.js';
import { EVENT_TYPES, isEventType } from './event-types.js';
import { checkTarget, type TargetPolicy } from './safe-delivery.js';

/** How long the old secret keeps signing beside a new one (domain.md: receivers switch within a day). */
export const ROTATION_OVERLAP_HOURS = 24;
const MAX_URL_LENGTH = 2048;

export interface EndpointView {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  createdAt: Date;
}

export function targetPolicy(config: Deps['config']): TargetPolicy {
  return { httpsOnly: config.isProduction, allowPrivate: config.WEBHOOK_ALLOW_PRIVATE_TARGETS };
}

/** `whsec_<base64 of 32 random bytes>`, the form Standard Webhooks libraries expect. */
const formatSecret = (raw: Buffer) => `whsec_${raw.toString('base64')}`;
const binding = (id: string) => ({ purpose: 'webhook-secret' as const, id });

function checkEvents(events: readonly string[] | null | undefined): string[] {
  const list = [...new Set(events ?? [])];
  const unknown = list.filter((e) => !isEventType(e));
  if (unknown.length) throw new InvalidInputError(`Unknown event type(s): ${unknown.join(', ')}; known: ${EVENT_TYPES.join(', ')}`, { field: 'events' });
  return list;
}

async function checkUrl(deps: Pick<Deps, 'config'>, url: string): Promise<string> {
  if (typeof url !== 'string' || url.length > MAX_URL_LENGTH) throw new InvalidInputError(`url must be at most ${MAX_URL_LENGTH} characters`, { field: 'url' });
  const check = await checkTarget(url, targetPolicy(deps.config));
  if (!check.ok) throw new WebhookTargetRefusedError(check.detail);
  return check.url.toString();
}

/**
 * A new endpoint of the caller's site (SITE_ADMIN). The URL is checked now (and again at every
 * delivery, against DNS rebinding); the secret is made here, sealed with the master keys, audited
 * without it, and returned this once.
 */
export async function createWebhookEndpoint(scope: Scope, input: { url: string; events?: string[] | null }): Promise<{ endpoint: EndpointView; secret: string }> {
  const siteId = requireSiteId(scope);
  const events = checkEvents(input.events);
  const url = await checkUrl(scope.deps, input.url);
  const id = randomUUID();
  const raw = randomBytes(32);
  const sealed = sealSecret(raw, binding(id), scope.deps.keyring);
  const now = new Date();
  await scope.em.transactional(async (tx) => {
    await tx.execute(
      // Bytes as hex through decode(): the driver's inlined parameters do not carry a Buffer as bytea.
      `insert into webhook_endpoint (id, site_id, url, events, active, sealed_secret, key_version, created_at, updated_at) values (?, ?, ?, ?, true, decode(?, 'hex'), ?, ?, ?)`,
      [id, siteId, url, `{${events.join(',')}}`, sealed.sealed.toString('hex'), sealed.keyVersion, now, now],
    );
    recordAudit(tx, scope, { action: 'webhook_endpoint.created', targetType: 'WebhookEndpoint', targetId: id, details: { url, events } });
  });
  return { endpoint: { id, url, events, active: true, createdAt: now }, secret: formatSecret(raw) };
}

/** A new secret; the current one keeps signing beside it for 24 hours. Returned this once. */
export async function rotateWebhookSecret(scope: Scope, input: { id: string }): Promise<{ endpoint: EndpointView; secret: string }> {
  const siteId = requireSiteId(scope);
  if (!isUuid(input.id)) throw new NotFoundError('Webhook endpoint');
  const raw = randomBytes(32);
  const sealed = sealSecret(raw, binding(input.id), scope.deps.keyring);
  const rows = await scope.em.transactional(async (tx) => {
    const updated = await tx.execute<EndpointRow[]>(
      `update webhook_endpoint set previous_sealed_secret = sealed_secret, previous_key_version = key_version,
         previous_expires_at = now() + make_interval(hours => ?), sealed_secret = decode(?, 'hex'), key_version = ?, updated_at = now()
       where id = ? and site_id = ? returning ${ENDPOINT_COLUMNS}`,
      [ROTATION_OVERLAP_HOURS, sealed.sealed.toString('hex'), sealed.keyVersion, input.id, siteId],
    );
    if (updated.length) recordAudit(tx, scope, { action: 'webhook_endpoint.secret_rotated', targetType: 'WebhookEndpoint', targetId: input.id });
    return updated;
  });
  if (!rows[0]) throw new NotFoundError('Webhook endpoint');
  return { endpoint: endpointView(rows[0]), secret: formatSecret(raw) };
}

export async function setWebhookEndpointActive(scope: Scope, input: { id: string; active: boolean }): Promise<EndpointView> {
  const siteId = requireSiteId(scope);
  if (!isUuid(input.id)) throw new NotFoundError('Webhook endpoint');
  const rows = await scope.em.transactional(async (tx) => {
    const updated = await tx.execute<(EndpointRow & { was: boolean })[]>(
      `update webhook_endpoint e set active = ?, updated_at = now() from webhook_endpoint old
       where e.id = ? and e.site_id = ? and old.id = e.id returning old.active as was, ${ENDPOINT_COLUMNS.replace(/(^|, )/g, '$1e.')}`,
      [input.active, input.id, siteId],
    );
    if (updated[0] && updated[0].was !== input.active) {
      recordAudit(tx, scope, { action: input.active ? 'webhook_endpoint.activated' : 'webhook_endpoint.deactivated', targetType: 'WebhookEndpoint', targetId: input.id });
    }
    return updated;
  });
  if (!rows[0]) throw new NotFoundError('Webhook endpoint');
  return endpointView(rows[0]);
}

export async function listWebhookEndpoints(scope: Scope): Promise<EndpointView[]> {
  const rows = await scope.deps.reads.rows<EndpointRow>(`select ${ENDPOINT_COLUMNS} from webhook_endpoint where site_id = ? order by created_at, id`, [requireSiteId(scope)]);
  return rows.map(endpointView);
}

const ENDPOINT_COLUMNS = 'id, url, events, active, created_at';

interface EndpointRow {
  id: string;
  url: string;
  events: string[];
  active: boolean;
  created_at: Date | string;
}

export function endpointView(r: EndpointRow): EndpointView {
  return { id: r.id, url: r.url, events: r.events, active: r.active, createdAt: asDate(r.created_at) };
}

/** The secrets that sign a delivery now: the current one, and the previous one during its overlap. */
export function signingSecrets(
  deps: Pick<Deps, 'keyring'>,
  e: { id: string; sealed_secret: Buffer; key_version: number; previous_sealed_secret: Buffer | null; previous_key_version: number | null; previous_expires_at: Date | string | null },
  now: Date,
): string[] {
  const secrets = [formatSecret(openSecret({ sealed: e.sealed_secret, keyVersion: e.key_version }, binding(e.id), deps.keyring))];
  if (e.previous_sealed_secret && e.previous_key_version !== null && e.previous_expires_at && asDate(e.previous_expires_at) > now) {
    secrets.push(formatSecret(openSecret({ sealed: e.previous_sealed_secret, keyVersion: e.previous_key_version }, binding(e.id), deps.keyring)));
  }
  return secrets;
}
