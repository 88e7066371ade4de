import type { Deps } from '../../deps.js';
import { Network } from '../../entities/enums.js';
import type { EvmTransferSource } from '../chain/evm-transfer-source.js';
import { recordTransfer } from './record-transfer.js';
import { refreshConfirmations } from './refresh-confirmations.js';
import { emptyReport, tally, type ScanReport } from './scan-report.js';
import { watchedWallets, type WatchedWallet } from './watched-wallets.js';

export interface EthereumScanOptions {
  /** Blocks per eth_getLogs call. */
  chunkBlocks: number;
  /** Where the very first scan starts, counted back from the head. */
  firstScanBlocks: number;
  /** Stop starting new chunks after this; the cursor keeps what was done. */
  deadline: number;
}

async function readCursor(deps: Pick<Deps, 'orm'>): Promise<number | null> {
  const [row] = await deps.orm.em.fork().execute<{ block: string }[]>(`select block from chain_cursor where network = ?`, [Network.ETHEREUM]);
  return row ? Number(row.block) : null;
}

async function saveCursor(deps: Pick<Deps, 'orm'>, block: number): Promise<void> {
  await deps.orm.em
    .fork()
    .execute(`insert into chain_cursor (network, block, updated_at) values (?, ?, now()) on conflict (network) do update set block = excluded.block, updated_at = now()`, [
      Network.ETHEREUM,
      block,
    ]);
}

/**
 * One pass of the Ethereum deposit watcher: reads the payment tokens' Transfer logs into watched
 * wallets from the stored cursor to the head, in chunks, storing and crediting each transfer, then
 * rechecks unconfirmed transfers (reorgs, confirmations). The window of blocks not yet deep enough
 * to be final is read again every pass, so a transfer re-mined elsewhere after a reorg is found again;
 * storing is idempotent. A failure leaves the cursor at the last chunk done: nothing is skipped and
 * nothing is credited twice.
 */
export async function scanEthereum(deps: Pick<Deps, 'orm' | 'events'>, source: EvmTransferSource, opts: EthereumScanOptions, signal: AbortSignal): Promise<ScanReport> {
  const report = emptyReport();
  const watched = await watchedWallets(deps.orm.em.fork(), Network.ETHEREUM);
  const head = await source.head(signal);
  report.head = head;
  const cursor = await readCursor(deps);
  const finality = Math.max(1, ...watched.map((w) => w.confirmationsRequired));
  let from = cursor === null ? Math.max(0, head - opts.firstScanBlocks + 1) : Math.max(0, Math.min(cursor + 1, head - finality + 1));
  if (!watched.length) {
    // Nothing to look for: keep the cursor at the head, so the next order does not start far behind.
    if (cursor === null || cursor < head) await saveCursor(deps, head);
  } else {
    const byContract = new Map<string, Map<string, WatchedWallet>>();
    for (const w of watched) {
      const wallets = byContract.get(w.contract) ?? new Map<string, WatchedWallet>();
      wallets.set(w.address.toLowerCase(), w);
      byContract.set(w.contract, wallets);
    }
    while (from <= head && Date.now() < opts.deadline) {
      const to = Math.min(head, from + opts.chunkBlocks - 1);
      for (const [contract, wallets] of byContract) {
        const found = await source.transfersTo(contract, [...wallets.values()].map((w) => w.address), from, to, signal);
        for (const t of found) {
          const wallet = wallets.get(t.to.toLowerCase());
          if (wallet) tally(report, await recordTransfer(deps, Network.ETHEREUM, head, wallet, t));
        }
      }
      if (cursor === null || to > cursor) await saveCursor(deps, to);
      report.scannedTo = to;
      from = to + 1;
    }
  }
  Object.assign(report, await refreshConfirmations(deps, Network.ETHEREUM, head, (blocks) => source.blockHashes(blocks, signal)));
  return report;
}
