import type { Network } from '../entities/enums.js';
import { syncWalletBalances } from '../services/wallets/sync-balances.js';
import { defineJob } from './job-definition.js';

/** "TRON: 3, ETHEREUM: 1": counts only, the failure reason is shown to staff of every site (jobStats). */
const perNetwork = (wallets: readonly { network: Network }[]) =>
  Object.entries(Object.groupBy(wallets, (w) => w.network))
    .map(([n, list]) => `${n}: ${list!.length}`)
    .join(', ');

/**
 * On-chain balances of the deposit wallets; a run with unread wallets fails and names them. With a
 * slow or unreachable RPC a full pass can take longer than the lock: the run starts no read after its
 * deadline and renews its lock until the reads under way are done, so two workers never sync at once.
 */
export const syncWalletBalancesJob = defineJob({
  name: 'wallets.sync-balances',
  every: '10 minutes',
  concurrency: 1,
  lockLifetimeMs: 10 * 60_000,
  async handler(_data, { orm, chain, config, logger }, run) {
    // Four renewals before the deadline; after it, the reads still under way keep the lock too.
    const renewEveryMs = Math.max(100, (run.deadline.getTime() - Date.now()) / 4);
    const renew = setInterval(() => {
      run.touch().catch((err: unknown) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'job lock not renewed'));
    }, renewEveryMs);
    let report;
    try {
      report = await syncWalletBalances(orm.em.fork(), chain, {
        concurrency: config.CHAIN_READ_CONCURRENCY,
        timeoutMs: config.CHAIN_READ_TIMEOUT_MS,
        retries: config.CHAIN_READ_RETRIES,
        deadline: run.deadline,
      });
    } finally {
      clearInterval(renew);
    }
    logger.info(
      { synced: report.synced, changed: report.changed, failed: report.failed.length, unread: report.unread.length, withoutPaymentAsset: report.withoutPaymentAsset },
      'wallet balances synced',
    );
    const problems: string[] = [];
    if (report.failed.length) {
      logger.warn({ failed: report.failed }, 'wallets not synced');
      problems.push(`${report.failed.length} wallet(s) not synced (${perNetwork(report.failed)})`);
    }
    if (report.unread.length) {
      logger.warn({ unread: report.unread.map((w) => w.walletId) }, 'wallets not read before the run deadline');
      problems.push(`${report.unread.length} wallet(s) not read before the run's deadline (${perNetwork(report.unread)})`);
    }
    if (problems.length) throw new Error(`${problems.join('; ')}; wallet ids and errors are in the worker log`);
  },
});
