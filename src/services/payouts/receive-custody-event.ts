import type { Deps } from '../../deps.js';
import { recordAudit } from '../audit/record-audit.js';
import type { ParsedWebhook } from './custody-webhook.js';
import { settleRelease, type SettleOutcome } from './settle-release.js';

export type ReceiveOutcome = SettleOutcome | 'duplicate' | 'unknown_transaction' | 'ignored_type';

const PROVIDER = 'fireblocks';

/**
 * Stores a verified custody event once and applies it, in one transaction: a duplicate (the same
 * event key) changes nothing; an event for a transaction that is not one of our releases is kept and
 * audited on the platform log; a transaction event settles its release by externalTxId.
 */
export async function receiveCustodyEvent(
  deps: Pick<Deps, 'orm' | 'events' | 'metrics'>,
  event: Exclude<ParsedWebhook, { kind: 'invalid' }>,
): Promise<ReceiveOutcome> {
  return deps.orm.em.fork().transactional(async (tx) => {
    const tr = event.kind === 'transaction' ? event.transaction : null;
    const [release] = tr?.externalTxId
      ? await tx.execute<{ id: string; site_id: string }[]>(
          // all-sites: a custody event names its release by externalTxId (unique across sites); it is settled in that release's site.
          // Locked first: the event row's foreign key and the settlement both lock the release, and two
          // events of one release taking those locks in opposite orders would deadlock.
          'select id, site_id from vesting_release where external_tx_id = ? for update',
          [tr.externalTxId],
        )
      : [];
    const [stored] = await tx.execute<{ id: string }[]>(
      // all-sites: the custody inbox; the event takes its release's site, or none for a transaction we do not know.
      `insert into custody_event (id, provider, event_key, type, site_id, release_id, custody_tx_id, external_tx_id, status, outcome, payload, received_at)
       values (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?, ?, 'received', ?, now())
       on conflict (provider, event_key) do nothing returning id`,
      [PROVIDER, event.eventKey, event.type, release?.site_id ?? null, release?.id ?? null, tr?.id ?? null, tr?.externalTxId ?? null, tr?.status ?? null, JSON.stringify(event.payload)],
    );
    if (!stored) return 'duplicate';
    let outcome: ReceiveOutcome;
    if (!tr) outcome = 'ignored_type';
    else if (!release) {
      outcome = 'unknown_transaction';
      recordAudit(tx, { actor: null, siteId: null, ip: null }, {
        action: 'custody.unknown_transaction',
        targetType: 'CustodyEvent',
        targetId: stored.id,
        details: { custodyTxId: tr.id, externalTxId: tr.externalTxId, status: tr.status },
      });
    } else {
      const settled = await settleRelease(tx, deps.events, { id: release.id, siteId: release.site_id }, tr);
      outcome = settled.outcome;
      if (settled.outcome === 'released' && settled.amount && settled.assetId) {
        deps.metrics.payoutTokensReleased.inc({ asset: settled.assetId }, Number(settled.amount) / 10 ** (settled.decimals ?? 0));
      }
    }
    // all-sites: the event row this transaction just stored, by its id.
    await tx.execute('update custody_event set outcome = ? where id = ?', [outcome, stored.id]);
    return outcome;
  });
}
