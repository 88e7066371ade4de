import type { EntityManager } from '@mikro-orm/postgresql';
import { sanitizeDetails } from '../audit/sanitize-details.js';
import type { EventBus } from '../events/pg-pubsub.js';
import { fromBaseUnits } from '../money/amount.js';
import { emitEvents, type OutboxEvent } from '../notifications/emit.js';
import { readAllocationData, releaseData, type ReleaseEventRow } from '../notifications/payloads.js';
import { publishReleasesChanged } from '../vesting/release-events.js';
import type { CustodyTransaction } from './custody-port.js';
import { custodyOutcome } from './custody-status.js';

export type SettleOutcome = 'released' | 'failed' | 'recorded' | 'stale';

export type SettleResult = { outcome: SettleOutcome; amount?: string; decimals?: number; assetId?: string };

type Custody = Pick<CustodyTransaction, 'id' | 'status' | 'subStatus' | 'txHash'>;

/**
 * A PROCESSING release its caller holds locked (`for update`) in the current transaction, with what
 * settling it needs; `allocationStatus` is set when its allocation is locked too (`for no key update`,
 * after the release: the lock order every settlement keeps), which paying it requires.
 */
export interface LockedRelease {
  id: string;
  siteId: string;
  allocationId: string;
  /** Base units. */
  amount: string;
  decimals: number;
  assetId: string;
  allocationStatus: string | null;
}

/**
 * Applies what custody says about a release's transaction, inside the caller's transaction, the same
 * way for a webhook and for the reconcile job: COMPLETED -> RELEASED (tx hash, releasedAmount of the
 * allocation, the allocation COMPLETED once every release of it is RELEASED), a final failure ->
 * FAILED with the reason, anything else recorded as the custody status. Only a PROCESSING release
 * still at the custody attempt that `custody` is about moves, so a late or repeated status, or one of
 * an earlier attempt of a retried release, never moves a release ('stale').
 */
export async function settleRelease(tx: EntityManager, events: EventBus, release: { id: string; siteId: string; attempt: number }, custody: Custody): Promise<SettleResult> {
  const outcome = custodyOutcome(custody.status);
  if (outcome === 'pending') {
    // One conditional statement: the row is locked by the update itself and re-checked if it changed meanwhile.
    // (`status::text` here and below: by primary key, never through the partial index of PROCESSING
    // releases, which stale statistics can make the planner prefer and then scan whole.)
    const rows = await tx.execute<{ id: string }[]>(
      `update vesting_release t set custody_tx_id = coalesce(t.custody_tx_id, ?), custody_status = ?, updated_at = now()
       where t.id = ? and t.site_id = ? and t.status::text = 'PROCESSING' and t.custody_attempt = ? returning t.id`,
      [custody.id, custody.status, release.id, release.siteId, release.attempt],
    );
    return { outcome: rows.length ? 'recorded' : 'stale' };
  }
  // The release first, then (to pay it) its allocation: the order the webhook route locks them in too.
  const [row] = await tx.execute<(Omit<LockedRelease, 'allocationStatus'> & { status: string; allocation_status: string | null; site_id: string; allocation_id: string; asset_id: string })[]>(
    `with rel as (
       select r.id, r.site_id, r.status, r.allocation_id, r.amount, d.decimals, d.id as asset_id
       from vesting_release r join allocation a on a.id = r.allocation_id and a.site_id = r.site_id join asset d on d.id = a.asset_id
       where r.id = ? and r.site_id = ? and r.custody_attempt = ? for update of r
     ),
     al as (
       select a.status from allocation a where a.id = (select allocation_id from rel) and a.site_id = ? and ?::boolean for no key update
     )
     select rel.*, (select status from al) as allocation_status from rel`,
    [release.id, release.siteId, release.attempt, release.siteId, outcome === 'released'],
  );
  if (!row || row.status !== 'PROCESSING') return { outcome: 'stale' };
  return applySettlement(
    tx,
    events,
    { id: row.id, siteId: row.site_id, allocationId: row.allocation_id, amount: row.amount, decimals: row.decimals, assetId: row.asset_id, allocationStatus: row.allocation_status },
    custody,
  );
}

/**
 * Settles a PROCESSING release the caller has locked (with its allocation, for COMPLETED) with a final
 * custody status: one statement moves the release, raises the allocation's releasedAmount (COMPLETED
 * when nothing of it is left to pay) and writes the audit entry; then the outbox events and the live
 * event. The allocation's check reads the other releases after its lock was taken, so of two releases
 * settled at once the second one sees the first.
 */
export async function applySettlement(tx: EntityManager, events: EventBus, release: LockedRelease, custody: Custody): Promise<SettleResult> {
  const outcome = custodyOutcome(custody.status);
  if (outcome === 'pending') throw new Error(`applySettlement: ${custody.status} is not a final status`);
  const released = outcome === 'released';
  if (released && release.allocationStatus === null) throw new Error('applySettlement: paying a release needs its allocation locked');
  const audit = JSON.stringify(
    sanitizeDetails({
      custodyTxId: custody.id,
      status: custody.status,
      ...(custody.subStatus ? { subStatus: custody.subStatus } : {}),
      ...(custody.txHash ? { txHash: custody.txHash } : {}),
      amount: fromBaseUnits(release.amount, release.decimals),
    }),
  );
  const action = released ? 'release.released' : 'release.failed';
  // The release comes back with releaseData's columns (payloads.ts; the decimals are the lock's). Its
  // allocation is completed once nothing of it is left to pay: every other release RELEASED (cancelled
  // ones of a revoke do not count, and a REVOKED allocation stays REVOKED).
  const rows = released
    ? await tx.execute<(Omit<ReleaseEventRow, 'decimals'> & { allocation_status: string })[]>(
        `with upd as (
           update vesting_release t set status = 'RELEASED', custody_tx_id = coalesce(t.custody_tx_id, ?), custody_status = ?, tx_hash = ?,
             released_at = now(), failure_reason = null, updated_at = now()
           where t.id = ? and t.site_id = ? and t.status::text = 'PROCESSING'
           returning t.id, t.allocation_id, t.index, t.amount, t.unlock_at, t.status, t.external_tx_id, t.tx_hash, t.failure_reason, t.released_at
         ),
         al as (
           update allocation a set released_amount = a.released_amount + upd.amount, updated_at = now(),
             status = case when a.status = 'ACTIVE' and not exists (
                 select 1 from vesting_release o where o.allocation_id = ? and o.site_id = ? and o.id <> upd.id and o.status not in ('RELEASED', 'CANCELLED')
               ) then 'COMPLETED' else a.status end
           from upd where a.id = upd.allocation_id and a.site_id = ?
           returning a.status
         ),
         audit as (
           insert into audit_entry (id, site_id, actor_id, action, target_type, target_id, details, ip, at)
           select gen_random_uuid(), ?, null, ?, 'VestingRelease', upd.id::text, ?::jsonb, null, ? from upd
         )
         select upd.*, (select status from al) as allocation_status from upd`,
        [custody.id, custody.status, custody.txHash, release.id, release.siteId, release.allocationId, release.siteId, release.siteId, release.siteId, action, audit, new Date()],
      )
    : await tx.execute<Omit<ReleaseEventRow, 'decimals'>[]>(
        `with upd as (
           update vesting_release t set status = 'FAILED', custody_tx_id = coalesce(t.custody_tx_id, ?), custody_status = ?, failure_reason = ?, updated_at = now()
           where t.id = ? and t.site_id = ? and t.status::text = 'PROCESSING'
           returning t.id, t.allocation_id, t.index, t.amount, t.unlock_at, t.status, t.external_tx_id, t.tx_hash, t.failure_reason, t.released_at
         ),
         audit as (
           insert into audit_entry (id, site_id, actor_id, action, target_type, target_id, details, ip, at)
           select gen_random_uuid(), ?, null, ?, 'VestingRelease', upd.id::text, ?::jsonb, null, ? from upd
         )
         select upd.* from upd`,
        [custody.id, custody.status, custody.subStatus ? `${custody.status}: ${custody.subStatus}` : custody.status, release.id, release.siteId, release.siteId, action, audit, new Date()],
      );
  const row = rows[0];
  // The caller holds the release locked while PROCESSING: the statement cannot miss it.
  if (!row) throw new Error(`release ${release.id} was not PROCESSING under its lock`);
  const outbox: OutboxEvent[] = [];
  if (released && release.allocationStatus === 'ACTIVE' && (row as { allocation_status?: string }).allocation_status === 'COMPLETED') {
    outbox.push({ siteId: release.siteId, type: 'allocation.completed', data: await readAllocationData(tx, release.siteId, release.allocationId) });
  }
  const { allocation_status: _a, ...releaseRow } = row as typeof row & { allocation_status?: string };
  outbox.push({ siteId: release.siteId, type: action, data: releaseData({ ...releaseRow, decimals: release.decimals }) });
  await emitEvents(tx, outbox);
  await publishReleasesChanged(tx, events, release.siteId, [release.id]);
  return { outcome, amount: release.amount, decimals: release.decimals, assetId: release.assetId };
}
