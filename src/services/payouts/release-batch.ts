import { requireSiteId } from '../auth/actor.js';
import { recordAudit } from '../audit/record-audit.js';
import { InvalidInputError, RateLimitedError } from '../errors.js';
import { isUuid } from '../ids.js';
import { recordHits } from '../rate-limit/fixed-window.js';
import type { Scope } from '../scope.js';
import type { ReleaseView } from '../vesting/allocation-view.js';
import { findReleases } from '../vesting/list-releases.js';
import { publishReleasesChanged } from '../vesting/release-events.js';
import { payoutRequests } from './payout-request.js';
import { submitReleases } from './submit-releases.js';

export const MAX_BATCH = 100;
/** domain.md, Transport and abuse limits: 6 releaseBatch calls a minute per site admin, across processes. */
const CALLS_PER_MINUTE = 6;

export interface BatchResult {
  submitted: ReleaseView[];
  skipped: { releaseId: string; reason: string }[];
  mode: 'MOCK' | 'LIVE';
}

/**
 * Pays out up to 100 UNLOCKED releases of the caller's site (domain.md, flow step 6): one conditional
 * UPDATE moves exactly those still UNLOCKED to PROCESSING (two batches racing for a release: one gets
 * it, the other reports it taken), the change commits with its audit entry and events, and then each
 * is submitted to custody with its stable externalTxId. Rate limited per admin across processes.
 */
export async function releaseBatch(scope: Scope, input: { releaseIds: string[] }): Promise<BatchResult> {
  const siteId = requireSiteId(scope);
  const ids = [...new Set(input.releaseIds)];
  if (ids.length === 0 || ids.length > MAX_BATCH) throw new InvalidInputError(`releaseIds must hold 1 to ${MAX_BATCH} ids`, { field: 'releaseIds' });
  const [hits] = await recordHits(scope.em, [`release-batch:${scope.actor!.userId}`], 60);
  if (hits!.hits > CALLS_PER_MINUTE) {
    throw new RateLimitedError(`At most ${CALLS_PER_MINUTE} payout batches a minute`, Math.max(1, Math.ceil((hits!.expiresAt.getTime() - Date.now()) / 1000)));
  }
  const valid = ids.filter(isUuid);
  const moved = await scope.em.transactional(async (tx) => {
    const rows = valid.length
      ? await tx.execute<{ id: string }[]>(
          `update vesting_release set status = 'PROCESSING', processing_since = now(), updated_at = now()
           where site_id = ? and status = 'UNLOCKED' and id in (${valid.map(() => '?').join(', ')}) returning id`,
          [siteId, ...valid],
        )
      : [];
    const movedIds = rows.map((r) => r.id);
    if (movedIds.length) {
      recordAudit(tx, scope, { action: 'payout.batch_submitted', targetType: 'Site', targetId: siteId, details: { releases: movedIds.length, mode: scope.deps.payouts.custody.mode } });
      await publishReleasesChanged(tx, scope.deps.events, siteId, movedIds);
    }
    return new Set(movedIds);
  });

  // Why the others were not taken, as the caller may see them (another site's id reads as not found).
  const skippedIds = ids.filter((id) => !moved.has(id));
  const current = new Map((await findReleases(scope, skippedIds.filter(isUuid))).map((r) => [r.id, r.status]));
  const skipped = skippedIds.map((id) => {
    const status = current.get(id);
    return { releaseId: id, reason: !status ? 'not found' : status === 'PROCESSING' ? 'already PROCESSING (another batch took it)' : `wrong status: ${status}` };
  });

  const requests = await payoutRequests(scope.em, siteId, [...moved]);
  const outcomes = await submitReleases(scope.deps, scope.deps.logger, requests);
  const submitted = await findReleases(scope, [...moved]);
  for (const [id, outcome] of outcomes) if (outcome === 'refused') skipped.push({ releaseId: id, reason: 'refused by custody (release FAILED)' });
  return { submitted: submitted.filter((r) => outcomes.get(r.id) !== 'refused'), skipped, mode: scope.deps.payouts.custody.mode };
}
