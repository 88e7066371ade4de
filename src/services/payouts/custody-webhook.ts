import type { CustodyTransaction } from './custody-port.js';

/** The event types that carry a transaction we settle (v1 and v2 names, domain.md Custody). */
const TRANSACTION_TYPES = new Set(['TRANSACTION_STATUS_UPDATED', 'TRANSACTION_CREATED', 'transaction.status.updated', 'transaction.created']);

export type ParsedWebhook =
  | { kind: 'transaction'; type: string; eventKey: string; transaction: CustodyTransaction; payload: Record<string, unknown> }
  | { kind: 'ignored'; type: string; eventKey: string; payload: Record<string, unknown> }
  | { kind: 'invalid'; detail: string };

/** Strict UTF-8 (invalid bytes are an error, not U+FFFD); one instance, decode() without streaming keeps no state. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

const str = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 && v.length <= 200 ? v : null);

/**
 * A verified webhook body as the event it is. Fireblocks v1: `{ type, tenantId, timestamp, data: <tx> }`;
 * v2: `{ id, eventType | type, data: <tx>, createdAt }`. The event key de-duplicates it: the event's own
 * id when it has one (v2), else the transaction id and status (v1 carries no event id), so a replay
 * and a Fireblocks retry are the same event.
 */
export function parseCustodyWebhook(body: Uint8Array): ParsedWebhook {
  let json: unknown;
  try {
    json = JSON.parse(UTF8.decode(body));
  } catch {
    return { kind: 'invalid', detail: 'not JSON' };
  }
  if (!json || typeof json !== 'object' || Array.isArray(json)) return { kind: 'invalid', detail: 'not an object' };
  const e = json as Record<string, unknown>;
  const type = str(e.eventType) ?? str(e.type);
  if (!type) return { kind: 'invalid', detail: 'no event type' };
  const data = e.data && typeof e.data === 'object' && !Array.isArray(e.data) ? (e.data as Record<string, unknown>) : null;
  const eventId = str(e.id);
  if (!TRANSACTION_TYPES.has(type)) {
    // Counted and answered 200, stored under its own id or a digest of its type and timestamp.
    return { kind: 'ignored', type, eventKey: eventId ?? `${type}:${String(e.timestamp ?? e.createdAt ?? '')}:${str(data?.id) ?? ''}`, payload: e };
  }
  const id = str(data?.id);
  const status = str(data?.status);
  if (!data || !id || !status) return { kind: 'invalid', detail: 'transaction without id or status' };
  const transaction: CustodyTransaction = {
    id,
    externalTxId: str(data.externalTxId),
    status,
    subStatus: str(data.subStatus),
    txHash: str(data.txHash),
  };
  return { kind: 'transaction', type, eventKey: eventId ?? `${id}:${status}`, transaction, payload: e };
}
