import type { Deps } from '../../deps.js';
import { custodyKey } from './custody-key.js';
import { payoutRequests } from './payout-request.js';
import { settleRelease } from './settle-release.js';
import { submitReleases } from './submit-releases.js';

const BATCH = 100;

interface Stuck {
  id: string;
  site_id: string;
  external_tx_id: string;
  custody_attempt: number;
}

export interface ReconcileReport {
  checked: number;
  settled: number;
  stillPending: number;
  resubmitted: number;
  lookupFailed: number;
}

/**
 * Releases PROCESSING for longer than PAYOUT_RECONCILE_AFTER_MINUTES (domain.md, flow step 8): each is
 * looked up at custody by the key of its current attempt (custody-key.ts) and settled exactly as its
 * webhook would have been. Only a release custody says it has no transaction for is submitted again,
 * under that same key (custody refuses a second transaction with it): never a second payout without
 * that lookup.
 */
export async function reconcilePayouts(deps: Pick<Deps, "orm" | "events" | "metrics" | "config" | "logger" | "payouts">, deadline: Date): Promise<ReconcileReport> {
  const report: ReconcileReport = { checked: 0, settled: 0, stillPending: 0, resubmitted: 0, lookupFailed: 0 };
  const em = deps.orm.em.fork();
  const stuck = await em.execute<Stuck[]>(
    // all-sites: the reconcile job serves every site; each release is settled in its own site.
    `select id, site_id, external_tx_id, custody_attempt from vesting_release
     where status = 'PROCESSING' and processing_since <= now() - make_interval(mins => ?) order by processing_since limit ?`,
    [deps.config.PAYOUT_RECONCILE_AFTER_MINUTES, BATCH],
  );
  const missing: Stuck[] = [];
  for (const r of stuck) {
    if (new Date() >= deadline) break;
    report.checked++;
    const end = deps.metrics.custodyLatency.startTimer({ operation: 'lookup' });
    let found;
    try {
      found = await deps.payouts.custody.lookup(custodyKey(r.external_tx_id, r.custody_attempt), AbortSignal.timeout(deps.config.CHAIN_READ_TIMEOUT_MS));
      end({ outcome: 'ok' });
    } catch (err) {
      end({ outcome: 'unavailable' });
      report.lookupFailed++;
      deps.logger.warn({ err, releaseId: r.id }, 'reconcile: custody lookup failed; the release stays PROCESSING');
      continue;
    }
    if (!found) {
      missing.push(r);
      continue;
    }
    const settled = await deps.orm.em.fork().transactional((tx) => settleRelease(tx, deps.events, { id: r.id, siteId: r.site_id, attempt: r.custody_attempt }, found));
    if (settled.outcome === 'released' || settled.outcome === 'failed') report.settled++;
    else report.stillPending++;
  }
  if (missing.length) {
    // Restart the clock first, so a slow custody is not asked again on the next run; and resubmit only
    // what is still PROCESSING at the attempt custody was asked about, and still stuck (one failed and
    // retried or resumed meanwhile is not).
    const still = await em.execute<{ id: string }[]>(
      // all-sites: the releases this run found missing at custody, by id and attempt, still PROCESSING.
      `update vesting_release t set processing_since = now(), updated_at = now()
       from (values ${missing.map(() => '(?::uuid, ?::int)').join(', ')}) as m (id, attempt)
       where t.id = m.id and t.custody_attempt = m.attempt and t.status::text = 'PROCESSING'
         and t.processing_since <= now() - make_interval(mins => ?) returning t.id`,
      [...missing.flatMap((r) => [r.id, r.custody_attempt]), deps.config.PAYOUT_RECONCILE_AFTER_MINUTES],
    );
    const outcomes = await submitReleases(deps, deps.logger, await payoutRequests(em, null, still.map((r) => r.id)));
    report.resubmitted = [...outcomes.values()].filter((o) => o === 'submitted').length;
  }
  return report;
}
