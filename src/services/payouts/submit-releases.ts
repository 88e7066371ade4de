import type { Deps } from '../../deps.js';
import { ReleaseStatus } from '../../entities/enums.js';
import { VestingRelease } from '../../entities/vesting-release.entity.js';
import type { Logger } from '../../logger.js';
import { sql, transition } from '../db/transition.js';
import { publishReleasesChanged } from '../vesting/release-events.js';
import { CustodyRefusedError, CustodyUnavailableError, type PayoutRequest } from './custody-port.js';

/** Custody calls per batch in flight at once: a batch of 100 does not queue 100 requests at the provider. */
const CONCURRENCY = 8;

export type SubmitOutcome = 'submitted' | 'refused' | 'uncertain';

/**
 * Sends PROCESSING releases to custody, after the transaction that moved them committed. Success
 * stores the custody id. A refusal (nothing was created) fails the release with custody's reason. No
 * answer (timeout, 429, 5xx) leaves it PROCESSING on purpose: it is never sent again blindly; the
 * reconcile job looks it up by externalTxId and settles it.
 */
export async function submitReleases(
  deps: Pick<Deps, 'orm' | 'events' | 'metrics' | 'config' | 'payouts'>,
  log: Logger,
  requests: Map<string, PayoutRequest & { siteId: string }>,
): Promise<Map<string, SubmitOutcome>> {
  const outcomes = new Map<string, SubmitOutcome>();
  const queue = [...requests];
  const worker = async () => {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const [releaseId, req] = next;
      outcomes.set(releaseId, await submitOne(deps, log, releaseId, req));
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, queue.length) }, worker));
  return outcomes;
}

async function submitOne(
  deps: Pick<Deps, 'orm' | 'events' | 'metrics' | 'config' | 'payouts'>,
  log: Logger,
  releaseId: string,
  req: PayoutRequest & { siteId: string },
): Promise<SubmitOutcome> {
  const end = deps.metrics.custodyLatency.startTimer({ operation: 'submit' });
  try {
    const created = await deps.payouts.custody.submit(req, AbortSignal.timeout(deps.config.CHAIN_READ_TIMEOUT_MS));
    end({ outcome: 'ok' });
    deps.metrics.payoutSubmitted.inc();
    await deps.orm.em
      .fork()
      .transactional((tx) =>
        transition(tx, VestingRelease, { id: releaseId, siteId: req.siteId, from: [ReleaseStatus.PROCESSING], to: ReleaseStatus.PROCESSING, set: { custody_tx_id: sql('coalesce(t.custody_tx_id, ?)', created.id), custody_status: sql('coalesce(t.custody_status, ?)', created.status) } }),
      );
    return 'submitted';
  } catch (err) {
    if (err instanceof CustodyRefusedError) {
      end({ outcome: 'refused' });
      deps.metrics.payoutFailed.inc({ reason: 'refused' });
      await deps.orm.em.fork().transactional(async (tx) => {
        const r = await transition(tx, VestingRelease, { id: releaseId, siteId: req.siteId, from: [ReleaseStatus.PROCESSING], to: ReleaseStatus.FAILED, set: { failure_reason: `refused by custody: ${err.message}`.slice(0, 500) } });
        if (r.ok) await publishReleasesChanged(tx, deps.events, req.siteId, [releaseId]);
      });
      return 'refused';
    }
    end({ outcome: 'unavailable' });
    deps.metrics.payoutFailed.inc({ reason: 'unavailable' });
    if (err instanceof CustodyUnavailableError && err.status === 429) deps.metrics.custodyRetries.inc({ operation: 'submit' });
    log.warn({ err, releaseId, externalTxId: req.externalTxId }, 'custody did not answer a payout; the release stays PROCESSING for the reconcile job');
    return 'uncertain';
  }
}
