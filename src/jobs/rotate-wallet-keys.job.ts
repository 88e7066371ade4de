import { rotateAllWalletKeys } from '../services/wallet-keys/rotate-wallet-keys.js';
import { defineJob } from './job-definition.js';

/** Re-encrypts wallets still sealed under an older master key; a no-op once all are under the newest. */
export const rotateWalletKeysJob = defineJob({
  name: 'wallets.rotate-keys',
  every: '1 hour',
  concurrency: 1,
  lockLifetimeMs: 30 * 60_000,
  async handler(_data, { orm, keyring, logger }) {
    const result = await rotateAllWalletKeys(orm.em.fork(), keyring, {
      batchSize: 200,
      onProgress: (p) => p.rotated && logger.info({ rotated: p.rotated, remaining: p.remaining, to: p.newestVersion }, 'wallet key rotation progress'),
    });
    if (result.rotated) logger.info({ rotated: result.rotated, remaining: result.remaining }, 'wallet key rotation finished');
    if (result.failed.length) {
      logger.error({ wallets: result.failed }, 'wallet keys that do not open: left under their old version');
      throw new Error(`${result.failed.length} wallet key(s) could not be opened and were not rotated (ids in the log)`);
    }
  },
});
