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
import { ReleaseStatusConflictError } from './errors.js';

/**
 * FAILED -> UNLOCKED (SITE_ADMIN, audited), so the next batch pays it again. The release keeps its
 * externalTxId; its custody attempt moves on, because Fireblocks refuses a used externalTxId forever
 * (custody-key.ts). That is safe: a release is FAILED only when custody refused it (nothing created) or
 * reported its transaction in a final failed state, so no earlier transaction can still pay out.
 */
export async function retryRelease(scope: Scope, input: { id: string }): Promise<ReleaseView> {
  const siteId = requireSiteId(scope);
  if (!isUuid(input.id)) throw new NotFoundError('Release');
  await scope.em.transactional(async (tx) => {
    const r = await transition(tx, VestingRelease, {
      id: input.id,
      siteId,
      from: [ReleaseStatus.FAILED],
      to: ReleaseStatus.UNLOCKED,
      set: { processing_since: null, custody_tx_id: null, custody_status: null, custody_attempt: sql('t.custody_attempt + 1') },
    });
    if (!r.ok) {
      // A cancelled release (revoked allocation) is not shown anywhere: it reads as missing.
      if (r.reason === 'not_found' || (r.current as ReleaseStatus) === ReleaseStatus.CANCELLED) throw new NotFoundError('Release');
      throw new ReleaseStatusConflictError('retry', r.current);
    }
    recordAudit(tx, scope, { action: 'release.retried', targetType: 'VestingRelease', targetId: input.id, details: { failureReason: r.row.failureReason } });
    await publishReleasesChanged(tx, scope.deps.events, siteId, [input.id]);
  });
  return (await findReleases(scope, [input.id]))[0]!;
}
