import type { EntityManager } from '@mikro-orm/postgresql';
import { ReleaseStatus } from '../../entities/enums.js';
import { VestingRelease } from '../../entities/vesting-release.entity.js';
import { recordAudit } from '../audit/record-audit.js';
import { sql, transition } from '../db/transition.js';
import type { EventBus } from '../events/pg-pubsub.js';
import { fromBaseUnits } from '../money/amount.js';
import { publishReleasesChanged } from '../vesting/release-events.js';
import { custodyOutcome } from './custody-status.js';
import { emitEvent } from '../notifications/emit.js';
import { readAllocationData, readReleaseData } from '../notifications/payloads.js';
import type { CustodyTransaction } from './custody-port.js';

export type SettleOutcome = 'released' | 'failed' | 'recorded' | 'stale';

/**
 * Applies what custody says about a release's transaction, inside the caller's transaction, the same
 * way for a webhook and for the reconcile job: COMPLETED -> RELEASED (tx hash, releasedAmount of the
 * allocation, the allocation COMPLETED once every release of it is RELEASED), a final failure ->
 * FAILED with the reason, anything else recorded as the custody status. Only a PROCESSING release
 * moves, so a late or repeated status never moves a release backwards ('stale').
 */
export async function settleRelease(
  tx: EntityManager,
  events: EventBus,
  release: { id: string; siteId: string },
  custody: Pick<CustodyTransaction, 'id' | 'status' | 'subStatus' | 'txHash'>,
): Promise<{ outcome: SettleOutcome; amount?: string; decimals?: number; assetId?: string }> {
  const outcome = custodyOutcome(custody.status);
  const common = { custody_tx_id: sql('coalesce(t.custody_tx_id, ?)', custody.id), custody_status: custody.status };
  if (outcome === 'pending') {
    const r = await transition(tx, VestingRelease, { id: release.id, siteId: release.siteId, from: [ReleaseStatus.PROCESSING], to: ReleaseStatus.PROCESSING, set: common });
    return { outcome: r.ok ? 'recorded' : 'stale' };
  }
  const r =
    outcome === 'released'
      ? await transition(tx, VestingRelease, {
          id: release.id,
          siteId: release.siteId,
          from: [ReleaseStatus.PROCESSING],
          to: ReleaseStatus.RELEASED,
          set: { ...common, tx_hash: custody.txHash, released_at: sql('now()'), failure_reason: null },
        })
      : await transition(tx, VestingRelease, {
          id: release.id,
          siteId: release.siteId,
          from: [ReleaseStatus.PROCESSING],
          to: ReleaseStatus.FAILED,
          set: { ...common, failure_reason: custody.subStatus ? `${custody.status}: ${custody.subStatus}` : custody.status },
        });
  if (!r.ok) return { outcome: 'stale' };
  const allocationId = r.row.allocation.id;
  const [a] = await tx.execute<{ decimals: number; asset_id: string }[]>(
    'select d.decimals, d.id as asset_id from allocation al join asset d on d.id = al.asset_id where al.id = ? and al.site_id = ?',
    [allocationId, release.siteId],
  );
  if (outcome === 'released') {
    await tx.execute('update allocation set released_amount = released_amount + ?, updated_at = now() where id = ? and site_id = ?', [r.row.amount, allocationId, release.siteId]);
    // Completed once nothing of it is left to pay: every release RELEASED (cancelled ones of a revoke do not count, and a REVOKED allocation stays REVOKED).
    const completed = await tx.execute<{ id: string }[]>(
      `update allocation set status = 'COMPLETED', updated_at = now() where id = ? and site_id = ? and status = 'ACTIVE'
       and not exists (select 1 from vesting_release where allocation_id = ? and site_id = ? and status not in ('RELEASED', 'CANCELLED'))
       returning id`,
      [allocationId, release.siteId, allocationId, release.siteId],
    );
    if (completed.length) await emitEvent(tx, { siteId: release.siteId, type: 'allocation.completed', data: await readAllocationData(tx, release.siteId, allocationId) });
  }
  await emitEvent(tx, { siteId: release.siteId, type: outcome === 'released' ? 'release.released' : 'release.failed', data: await readReleaseData(tx, release.siteId, release.id) });
  recordAudit(tx, { actor: null, siteId: release.siteId, ip: null }, {
    action: outcome === 'released' ? 'release.released' : 'release.failed',
    targetType: 'VestingRelease',
    targetId: release.id,
    details: { custodyTxId: custody.id, status: custody.status, ...(custody.subStatus ? { subStatus: custody.subStatus } : {}), ...(custody.txHash ? { txHash: custody.txHash } : {}), amount: fromBaseUnits(r.row.amount, a!.decimals) },
  });
  await publishReleasesChanged(tx, events, release.siteId, [release.id]);
  return { outcome, amount: r.row.amount, decimals: a!.decimals, assetId: a!.asset_id };
}
