import type { EntityManager } from '@mikro-orm/postgresql';
import type { Deps } from '../../deps.js';
import { sanitizeDetails } from '../audit/sanitize-details.js';
import type { ParsedWebhook } from './custody-webhook.js';
import { parseCustodyKey } from './custody-key.js';
import { custodyOutcome } from './custody-status.js';
import { applySettlement, type SettleOutcome, type SettleResult } from './settle-release.js';

export type ReceiveOutcome = SettleOutcome | 'duplicate' | 'unknown_transaction' | 'ignored_type';

const PROVIDER = 'fireblocks';

type Received = Exclude<ParsedWebhook, { kind: 'invalid' }>;
type Key = ReturnType<typeof parseCustodyKey>;

interface Stored {
  id: string;
  outcome: ReceiveOutcome;
  release_id: string | null;
  site_id: string | null;
  // Of a final status only:
  allocation_id: string | null;
  amount: string | null;
  decimals: number | null;
  asset_id: string | null;
  allocation_status: string | null;
}

/**
 * Stores a verified custody event once and applies it, in one transaction: a duplicate (the same
 * event key) changes nothing; an event for a transaction that is not one of our releases is kept and
 * audited on the platform log; a transaction event settles its release by the key of its current
 * custody attempt (custody-key.ts).
 *
 * The first statement locks the release before anything else, then stores the event, its outcome
 * following from the release's status read under that lock (and, for COMPLETED, locks the allocation,
 * always after the release); so events of one release are applied one after the other, and the event
 * row's foreign key never waits on a lock another event of the release holds (two events once
 * deadlocked that way). An event that only records a status (SUBMITTED, CONFIRMING, …), a stale one,
 * an unknown transaction and a type we do not use are applied by that statement alone, its own
 * transaction; a final status (COMPLETED, FAILED, …) of a PROCESSING release is then settled in the
 * same transaction (settle-release.ts).
 */
export async function receiveCustodyEvent(deps: Pick<Deps, 'orm' | 'reads' | 'events' | 'metrics'>, event: Received): Promise<ReceiveOutcome> {
  const tr = event.kind === 'transaction' ? event.transaction : null;
  const meaning = tr ? custodyOutcome(tr.status) : null;
  // A final status pays or fails the release: its transaction also locks the allocation (to pay it) and
  // reads what settling needs. Any other event is applied by this one statement, its own transaction.
  const final = meaning === 'released' || meaning === 'failed';
  // The release and attempt the transaction's key names (custody-key.ts): an event of an earlier attempt
  // of a retried release is stored as stale, never applied to the current one.
  const key = tr?.externalTxId ? parseCustodyKey(tr.externalTxId) : null;
  if (!final) return (await recordEvent(deps, event, key))?.outcome ?? 'duplicate';
  const { outcome, settled } = await deps.orm.em.fork().transactional(async (tx): Promise<{ outcome: ReceiveOutcome; settled?: SettleResult }> => {
    const stored = await storeFinalEvent(tx, event, key, meaning);
    if (!stored) return { outcome: 'duplicate' };
    if (stored.outcome !== 'released' && stored.outcome !== 'failed') return { outcome: stored.outcome };
    const locked = {
      id: stored.release_id!,
      siteId: stored.site_id!,
      allocationId: stored.allocation_id!,
      amount: stored.amount!,
      decimals: stored.decimals!,
      assetId: stored.asset_id!,
      allocationStatus: stored.allocation_status,
    };
    const result = await applySettlement(tx, deps.events, locked, tr!);
    return { outcome: result.outcome, settled: result };
  });
  if (settled?.outcome === 'released' && settled.amount && settled.assetId) {
    deps.metrics.payoutTokensReleased.inc({ asset: settled.assetId }, Number(settled.amount) / 10 ** (settled.decimals ?? 0));
  }
  return outcome;
}

/** The parameters both statements share, in their order: provider, event key, type, tx id, key, status, is-a-transaction. */
function eventColumns(event: Received) {
  const tr = event.kind === 'transaction' ? event.transaction : null;
  return {
    common: [PROVIDER, event.eventKey, event.type, tr?.id ?? null, tr?.externalTxId ?? null, tr?.status ?? null, tr !== null],
    audit: [JSON.stringify(sanitizeDetails({ custodyTxId: tr?.id, externalTxId: tr?.externalTxId, status: tr?.status })), new Date()],
    payload: JSON.stringify(event.payload),
    tr,
  };
}

/**
 * An event that only records (a status on the way, a stale or unknown one, a type we do not use): one
 * statement that is its own transaction, sent on the pool as a prepared statement (planning it each
 * time cost more than running it; most events are of this kind).
 */
async function recordEvent(deps: Pick<Deps, 'reads'>, event: Received, key: Key): Promise<Stored | undefined> {
  const { common, audit, payload, tr } = eventColumns(event);
  const [stored] = await deps.reads.rows<Stored>(
    // all-sites: a custody event names its release by externalTxId (unique across sites); the event takes that release's site, or none for a transaction we do not know.
    `with rel as (
       select r.id, r.site_id, r.status, r.custody_attempt from vesting_release r where r.external_tx_id = ? for update
     ),
     ins as (
       insert into custody_event (id, provider, event_key, type, site_id, release_id, custody_tx_id, external_tx_id, status, outcome, payload, received_at)
       select gen_random_uuid(), ?, ?, ?, rel.site_id, rel.id, ?, ?, ?,
         case when not ?::boolean then 'ignored_type' when rel.id is null then 'unknown_transaction' when rel.custody_attempt <> ?::int or rel.status <> 'PROCESSING' then 'stale' else 'recorded' end,
         ?::jsonb, now()
       from (select 1) as one left join rel on true
       on conflict (provider, event_key) do nothing
       returning id, outcome, release_id, site_id
     ),
     recorded as (
       update vesting_release t set custody_tx_id = coalesce(t.custody_tx_id, ?), custody_status = ?, updated_at = now()
       from ins where ins.outcome = 'recorded' and t.id = ins.release_id and t.site_id = ins.site_id
     ),
     audit as (
       insert into audit_entry (id, site_id, actor_id, action, target_type, target_id, details, ip, at)
       select gen_random_uuid(), null, null, 'custody.unknown_transaction', 'CustodyEvent', ins.id::text, ?::jsonb, null, ? from ins where ins.outcome = 'unknown_transaction'
     )
     select ins.* from ins`,
    [key?.externalTxId ?? null, ...common, key?.attempt ?? 0, payload, tr?.id ?? null, tr?.status ?? null, ...audit],
    { prepared: 'custody-event-record' },
  );
  return stored;
}

/** A final status: stored in the caller's transaction, which then settles the release it locked (with its allocation, to pay it). */
async function storeFinalEvent(tx: EntityManager, event: Received, key: Key, meaning: 'released' | 'failed'): Promise<Stored | undefined> {
  const { common, audit, payload } = eventColumns(event);
  const [stored] = await tx.execute<Stored[]>(
    // all-sites: a custody event names its release by externalTxId (unique across sites); the event takes that release's site, or none for a transaction we do not know, and is settled in it.
    `with rel as (
       select r.id, r.site_id, r.status, r.custody_attempt, r.allocation_id, r.amount, d.decimals, d.id as asset_id
       from vesting_release r join allocation a on a.id = r.allocation_id and a.site_id = r.site_id join asset d on d.id = a.asset_id
       where r.external_tx_id = ? for update of r
     ),
     al as (
       select a.status from allocation a where ?::boolean and a.id = (select allocation_id from rel) and a.site_id = (select site_id from rel) for no key update
     ),
     ins as (
       insert into custody_event (id, provider, event_key, type, site_id, release_id, custody_tx_id, external_tx_id, status, outcome, payload, received_at)
       select gen_random_uuid(), ?, ?, ?, rel.site_id, rel.id, ?, ?, ?,
         case when not ?::boolean then 'ignored_type' when rel.id is null then 'unknown_transaction' when rel.custody_attempt <> ?::int or rel.status <> 'PROCESSING' then 'stale' else ? end,
         ?::jsonb, now()
       from (select 1) as one left join rel on true
       on conflict (provider, event_key) do nothing
       returning id, outcome, release_id, site_id
     ),
     audit as (
       insert into audit_entry (id, site_id, actor_id, action, target_type, target_id, details, ip, at)
       select gen_random_uuid(), null, null, 'custody.unknown_transaction', 'CustodyEvent', ins.id::text, ?::jsonb, null, ? from ins where ins.outcome = 'unknown_transaction'
     )
     select ins.*, rel.allocation_id, rel.amount, rel.decimals, rel.asset_id, (select status from al) as allocation_status
     from ins left join rel on rel.id = ins.release_id`,
    [key?.externalTxId ?? null, meaning === 'released', ...common, key?.attempt ?? 0, meaning, payload, ...audit],
  );
  return stored;
}
