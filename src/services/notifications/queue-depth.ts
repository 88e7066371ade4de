import type { Deps } from '../../deps.js';

/** Deliveries still PENDING across all sites, for the queue depth gauge. */
export async function webhookQueueDepth(deps: Pick<Deps, 'orm'>): Promise<number> {
  // all-sites: a platform-wide gauge, never shown to a site.
  const [row] = await deps.orm.em.fork().execute<{ n: number }[]>(`select count(*)::int as n from webhook_delivery where status = 'PENDING'`);
  return row?.n ?? 0;
}
