import type { Deps } from '../../deps.js';

/** How many releases wait: PROCESSING past the reconcile threshold, and UNLOCKED not yet batched (all sites). */
export async function payoutBacklog(deps: Pick<Deps, 'orm' | 'config'>): Promise<{ processingStuck: number; unlockedPending: number }> {
  const [row] = await deps.orm.em.fork().execute<{ stuck: number; pending: number }[]>(
    // all-sites: platform-wide backlog figures for the metrics (never shown to a site).
    `select count(*) filter (where status = 'PROCESSING' and processing_since <= now() - make_interval(mins => ?))::int as stuck,
            count(*) filter (where status = 'UNLOCKED')::int as pending
     from vesting_release where status in ('PROCESSING', 'UNLOCKED')`,
    [deps.config.PAYOUT_RECONCILE_AFTER_MINUTES],
  );
  return { processingStuck: row?.stuck ?? 0, unlockedPending: row?.pending ?? 0 };
}
