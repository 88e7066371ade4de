import { ReleaseStatus } from '../../entities/enums.js';
import { VestingRelease } from '../../entities/vesting-release.entity.js';
import { recordAudit } from '../audit/record-audit.js';
import { requireSiteId } from '../auth/actor.js';
import { sql, transition } from '../db/transition.js';
import { NotFoundError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { Scope } from '../scope.js';
import type { ReleaseView } from '../vesting/allocation-view.js';
import { findReleases } from '../vesting/list-releases.js';
import { publishReleasesChanged } from '../vesting/release-events.js';
import { custodyKey, MAX_CUSTODY_ATTEMPT } from './custody-key.js';
import type { CustodyTransaction } from './custody-port.js';
import { custodyOutcome } from './custody-status.js';
import { CustodyNotFailedError, ReleaseStatusConflictError } from './errors.js';

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
 * - anything else (a transaction still going, or even COMPLETED), or no answer: refused, since a new
 *   key could then pay the release twice. The reconcile job or the webhook settles what custody has.
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
    throw new CustodyNotFailedError(key, 'custody did not answer; try again');
  }
  if (found && custodyOutcome(found.status) !== 'failed') throw new CustodyNotFailedError(key, `custody reports it ${found.status}`);
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
    if (!r.ok && r.reason === 'not_found') throw new NotFoundError('Release');
    if (!r.ok) throw new ReleaseStatusConflictError('retry', r.current === ReleaseStatus.FAILED ? 'FAILED and was retried by another request meanwhile' : r.current);
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
