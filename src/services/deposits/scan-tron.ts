import type { Deps } from '../../deps.js';
import { Network } from '../../entities/enums.js';
import type { TronTransferSource } from '../chain/tron-transfer-source.js';
import { recordTransfer } from './record-transfer.js';
import { refreshConfirmations } from './refresh-confirmations.js';
import { emptyReport, tally, type ScanReport } from './scan-report.js';
import { watchedWallets } from './watched-wallets.js';

/**
 * One pass of the TRON deposit watcher: TronGrid indexes TRC20 transfers by account, so each watched
 * wallet's incoming transfers since its latest order was created are read (unconfirmed and confirmed
 * lists both, so a pass missed while the worker was down loses nothing), stored and credited; then
 * unconfirmed transfers are rechecked against the head. Makes no call at all while nothing is watched.
 */
export async function scanTron(deps: Pick<Deps, 'orm' | 'events'>, source: TronTransferSource, opts: { deadline: number }, signal: AbortSignal): Promise<ScanReport> {
  const report = emptyReport();
  const watched = await watchedWallets(deps.orm.em.fork(), Network.TRON);
  const [{ n: unconfirmed }] = (await deps.orm.em.fork().execute<{ n: number }[]>(
    // all-sites: whether any site has TRON transfers left to confirm.
    `select count(*)::int as n from chain_transfer where network = 'TRON' and status = 'UNCONFIRMED'`,
  )) as [{ n: number }];
  if (!watched.length && !unconfirmed) return report;
  const head = await source.head(signal);
  report.head = head;
  for (const w of watched) {
    if (Date.now() >= opts.deadline) break;
    const since = w.orderCreatedAt.getTime();
    const found = [...(await source.transfersTo(w.contract, w.address, since, false, signal)), ...(await source.transfersTo(w.contract, w.address, since, true, signal))];
    for (const t of found) tally(report, await recordTransfer(deps, Network.TRON, head, w, t));
  }
  Object.assign(report, await refreshConfirmations(deps, Network.TRON, head, (blocks) => source.blockHashes(blocks, signal)));
  return report;
}
