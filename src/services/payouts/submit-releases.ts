import type { Deps } from '../../deps.js';
import { ReleaseStatus } from '../../entities/enums.js';
import { VestingRelease } from '../../entities/vesting-release.entity.js';
import type { Logger } from '../../logger.js';
import { forEachConcurrently } from '../concurrency.js';
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
  requests: Map<string, PayoutRequest & { siteId: string; attempt: number }>,
): Promise<Map<string, SubmitOutcome>> {
  const outcomes = new Map<string, SubmitOutcome>();
  const recorder = custodyIds(deps, log);
  await forEachConcurrently([...requests], CONCURRENCY, async ([releaseId, req]) => {
    outcomes.set(releaseId, await submitOne(deps, log, releaseId, req, recorder.add));
  });
  await recorder.settled();
  return outcomes;
}

interface Created {
  releaseId: string;
  siteId: string;
  attempt: number;
  custodyTxId: string;
  status: string;
}

/**
 * Stores the custody ids of submitted releases as they come, one statement for all that came while
 * the previous one ran (one write at a time per call): a batch of 100 costs a few statements, not 100,
 * and no id waits longer than one write. A release no longer PROCESSING (a webhook already settled
 * it) or at a later custody attempt keeps what it has; so does one whose id and status a webhook already stored (no write then).
 * If the write fails, the release stays PROCESSING without the id, which its webhook or the
 * reconcile job (by externalTxId) fills in.
 */
function custodyIds(deps: Pick<Deps, 'orm'>, log: Logger): { add(c: Created): void; settled(): Promise<void> } {
  let pending: Created[] = [];
  let running: Promise<void> | null = null;
  const write = async (rows: Created[]) => {
    try {
      await deps.orm.em.fork().execute(
        // all-sites: the releases this call just submitted, by id, each in its own site (the reconcile job submits releases of several sites at once).
        `update vesting_release t set custody_tx_id = coalesce(t.custody_tx_id, v.custody_tx_id), custody_status = coalesce(t.custody_status, v.status), updated_at = now()
         from (values ${rows.map(() => '(?::uuid, ?::uuid, ?::int, ?, ?)').join(', ')}) as v (id, site_id, attempt, custody_tx_id, status)
         where t.id = v.id and t.site_id = v.site_id and t.custody_attempt = v.attempt and t.status::text = 'PROCESSING' and (t.custody_tx_id is null or t.custody_status is null)`,
        rows.flatMap((r) => [r.releaseId, r.siteId, r.attempt, r.custodyTxId, r.status]),
      );
    } catch (err) {
      log.warn({ err, releaseIds: rows.map((r) => r.releaseId) }, 'custody ids of submitted releases not stored; their webhooks or the reconcile job will');
    }
  };
  const drain = async () => {
    while (pending.length) {
      const rows = pending;
      pending = [];
      await write(rows);
    }
    running = null;
  };
  return {
    add(c) {
      pending.push(c);
      running ??= drain();
    },
    settled: async () => {
      await running;
    },
  };
}

async function submitOne(
  deps: Pick<Deps, 'orm' | 'events' | 'metrics' | 'config' | 'payouts'>,
  log: Logger,
  releaseId: string,
  req: PayoutRequest & { siteId: string; attempt: number },
  created: (c: Created) => void,
): Promise<SubmitOutcome> {
  const end = deps.metrics.custodyLatency.startTimer({ operation: 'submit' });
  try {
    const tx = await deps.payouts.custody.submit(req, AbortSignal.timeout(deps.config.CHAIN_READ_TIMEOUT_MS));
    end({ outcome: 'ok' });
    deps.metrics.payoutSubmitted.inc();
    created({ releaseId, siteId: req.siteId, attempt: req.attempt, custodyTxId: tx.id, status: tx.status });
    return 'submitted';
  } catch (err) {
    if (err instanceof CustodyRefusedError) {
      end({ outcome: 'refused' });
      deps.metrics.payoutFailed.inc({ reason: 'refused' });
      await deps.orm.em.fork().transactional(async (tx) => {
        const r = await transition(tx, VestingRelease, { id: releaseId, siteId: req.siteId, from: [ReleaseStatus.PROCESSING], to: ReleaseStatus.FAILED, set: { failure_reason: `refused by custody: ${err.message}`.slice(0, 500) }, where: sql('t.custody_attempt = ?', req.attempt) });
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
