import type { EntityManager } from '@mikro-orm/postgresql';
import { fromBaseUnits } from '../money/amount.js';
import type { PayoutRequest } from './custody-port.js';
import { custodyKey } from './custody-key.js';

interface Row {
  id: string;
  site_id: string;
  external_tx_id: string;
  custody_attempt: number;
  amount: string;
  decimals: number;
  custody_asset_id: string | null;
  payout_address: string;
}

/**
 * What custody is asked to send for each release: the key of its current attempt, the DISTRIBUTION asset's custody
 * id, the amount in whole units (exact, from base units) and the allocation's payout address.
 */
export async function payoutRequests(em: EntityManager, siteId: string | null, releaseIds: readonly string[]): Promise<Map<string, PayoutRequest & { siteId: string; attempt: number }>> {
  if (!releaseIds.length) return new Map();
  const rows = await em.execute<Row[]>(
    // all-sites: with siteId null the reconcile job resubmits releases of every site, by id; releaseBatch passes its site.
    `select r.id, r.site_id, r.external_tx_id, r.custody_attempt, r.amount, d.decimals, d.custody_asset_id, al.payout_address
     from vesting_release r join allocation al on al.id = r.allocation_id join asset d on d.id = al.asset_id
     where r.id in (${releaseIds.map(() => '?').join(', ')})${siteId === null ? '' : ' and r.site_id = ?'}`,
    [...releaseIds, ...(siteId === null ? [] : [siteId])],
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        siteId: r.site_id,
        attempt: r.custody_attempt,
        externalTxId: custodyKey(r.external_tx_id, r.custody_attempt),
        // A DISTRIBUTION asset without a custody id cannot be paid: custody refuses it (FAILED, with that reason).
        custodyAssetId: r.custody_asset_id ?? '',
        amount: fromBaseUnits(r.amount, r.decimals),
        destinationAddress: r.payout_address,
        note: `Vestline release ${r.id}`,
      },
    ]),
  );
}
