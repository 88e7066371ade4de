import { ReleaseStatus } from '../../entities/enums.js';
import { VestingRelease } from '../../entities/vesting-release.entity.js';
import { recordAudit } from '../audit/record-audit.js';
import { requireSiteId } from '../auth/actor.js';
import { sql, transition, type TransitionResult } from '../db/transition.js';
import { NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { Scope } from '../scope.js';
import type { ReleaseView } from '../vesting/allocation-view.js';
import { findReleases } from '../vesting/list-releases.js';
import { publishReleasesChanged } from '../vesting/release-events.js';
import { custodyKey, MAX_CUSTODY_ATTEMPT } from './custody-key.js';
import type { CustodyTransaction } from './custody-port.js';
import { custodyOutcome } from './custody-status.js';
import { CustodyUnconfirmedError, ReleaseStatusConflictError } from './errors.js';
import { settleRelease } from './settle-release.js';

interface Current {
  status: ReleaseStatus;
  external_tx_id: string;
  custody_attempt: number;
  failure_reason: string | null;
}

/**
 * FAILED -> UNLOCKED (SITE_ADMIN, audited), so the next batch pays it again. The release keeps its
 * externalTxId (the contract). Custody is asked first about the key the release last went out under:
 * - no such transaction: nothing was created (custody refused it), so the next batch sends the same key;
 * - a transaction in a final failed state: Fireblocks refuses a used key forever, so the next batch
 *   sends the release's next attempt key (custody-key.ts);
 * - a transaction still going or COMPLETED (the release was failed by a refused resubmission while
 *   custody had it): nothing is sent again, which could pay twice. The release goes back to PROCESSING
 *   on that transaction and is settled by custody's answer: at once when it is final, else by its
 *   webhook or the reconcile job;
 * - no answer: CONFLICT, nothing changes; try again.
 */
export async function retryRelease(scope: Scope, input: { id: string }): Promise<ReleaseView> {
  const siteId = requireSiteId(scope);
  if (!isUuid(input.id)) throw new NotFoundError('Release');
  const [current] = await scope.em.execute<Current[]>(
    'select status, external_tx_id, custody_attempt, failure_reason from vesting_release where id = ? and site_id = ?',
    [input.id, siteId],
  );
  // A cancelled release (revoked allocation) is not shown anywhere: it reads as missing.
  if (!current || current.status === ReleaseStatus.CANCELLED) throw new NotFoundError('Release');
  if (current.status !== ReleaseStatus.FAILED) throw new ReleaseStatusConflictError('retry', current.status);

  const key = custodyKey(current.external_tx_id, current.custody_attempt);
  let found: CustodyTransaction | null;
  try {
    found = await scope.deps.payouts.custody.lookup(key, AbortSignal.timeout(scope.deps.config.CHAIN_READ_TIMEOUT_MS));
  } catch {
    throw new CustodyUnconfirmedError(key);
  }
  const outcome = found ? custodyOutcome(found.status) : null;
  if (found && outcome !== 'failed') {
    await resumeTracking(scope, siteId, input.id, current, found);
    return (await findReleases(scope, [input.id]))[0]!;
  }
  const attempt = found ? current.custody_attempt + 1 : current.custody_attempt;
  if (attempt > MAX_CUSTODY_ATTEMPT) throw new ReleaseStatusConflictError('retry', `${current.status} after ${MAX_CUSTODY_ATTEMPT} attempts`);

  await scope.em.transactional(async (tx) => {
    const r = await transition(tx, VestingRelease, {
      id: input.id,
      siteId,
      from: [ReleaseStatus.FAILED],
      to: ReleaseStatus.UNLOCKED,
      set: { processing_since: null, custody_tx_id: null, custody_status: null, custody_attempt: attempt },
      // Another retry since the lookup moved the attempt on: that one decided.
      where: sql('t.custody_attempt = ?', current.custody_attempt),
    });
    assertRetried(r);
    recordAudit(tx, scope, {
      action: 'release.retried',
      targetType: 'VestingRelease',
      targetId: input.id,
      details: { failureReason: current.failure_reason, custodyAttempt: attempt, ...(found ? { previousCustodyStatus: found.status } : {}) },
    });
    await publishReleasesChanged(tx, scope.deps.events, siteId, [input.id]);
  });
  return (await findReleases(scope, [input.id]))[0]!;
}

function assertRetried(r: TransitionResult<VestingRelease, ReleaseStatus>): void {
  if (!r.ok && r.reason === 'not_found') throw new NotFoundError('Release');
  if (!r.ok) throw new ReleaseStatusConflictError('retry', r.current === ReleaseStatus.FAILED ? 'FAILED and was retried by another request meanwhile' : r.current);
}

/** FAILED -> PROCESSING on the transaction custody still has under the current key, settled at once when custody's answer is final. */
async function resumeTracking(scope: Scope, siteId: string, id: string, current: Current, found: CustodyTransaction): Promise<void> {
  await scope.em.transactional(async (tx) => {
    const r = await transition(tx, VestingRelease, {
      id,
      siteId,
      from: [ReleaseStatus.FAILED],
      to: ReleaseStatus.PROCESSING,
      set: { processing_since: sql('now()'), custody_tx_id: found.id, custody_status: found.status, failure_reason: null },
      where: sql('t.custody_attempt = ?', current.custody_attempt),
    });
    assertRetried(r);
    recordAudit(tx, scope, {
      action: 'release.retried',
      targetType: 'VestingRelease',
      targetId: id,
      details: { failureReason: current.failure_reason, custodyAttempt: current.custody_attempt, resumedCustodyStatus: found.status },
    });
    if (custodyOutcome(found.status) === 'released') await settleRelease(tx, scope.deps.events, { id, siteId, attempt: current.custody_attempt }, found);
    else await publishReleasesChanged(tx, scope.deps.events, siteId, [id]);
  });
}
