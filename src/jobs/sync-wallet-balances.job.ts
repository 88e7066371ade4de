import { syncWalletBalances } from '../services/wallets/sync-balances.js';
import { defineJob } from './job-definition.js';

/** On-chain balances of the deposit wallets; a run with unread wallets fails and names them. */
export const syncWalletBalancesJob = defineJob({
  name: 'wallets.sync-balances',
  every: '10 minutes',
  concurrency: 1,
  lockLifetimeMs: 10 * 60_000,
  async handler(_data, { orm, chain, config, logger }) {
    const report = await syncWalletBalances(orm.em.fork(), chain, {
      concurrency: config.CHAIN_READ_CONCURRENCY,
      timeoutMs: config.CHAIN_READ_TIMEOUT_MS,
      retries: config.CHAIN_READ_RETRIES,
    });
    logger.info({ synced: report.synced, changed: report.changed, failed: report.failed.length, withoutPaymentAsset: report.withoutPaymentAsset }, 'wallet balances synced');
    if (report.failed.length) {
      logger.warn({ failed: report.failed }, 'wallets not synced');
      // The failure reason is shown to staff of every site (jobStats): counts only, details in the log.
      const perNetwork = Object.entries(Object.groupBy(report.failed, (f) => f.network)).map(([n, list]) => `${n}: ${list!.length}`);
      throw new Error(`${report.failed.length} wallet(s) not synced (${perNetwork.join(', ')}); wallet ids and errors are in the worker log`);
    }
  },
});
