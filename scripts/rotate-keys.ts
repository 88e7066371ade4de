/**
 * npm run keys:rotate   re-encrypts every deposit-wallet key under the newest WALLET_MASTER_KEYS entry,
 * in batches, printing progress. Safe to stop and run again: progress is stored in the rows themselves.
 */
import 'reflect-metadata';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/db/database.js';
import { createLogger } from '../src/logger.js';
import { keyring } from '../src/services/wallet-keys/master-keys.js';
import { rotateAllWalletKeys } from '../src/services/wallet-keys/rotate-wallet-keys.js';
import { verifyMasterKeys } from '../src/services/wallet-keys/verify-master-keys.js';

const config = loadConfig(process.env);
const logger = createLogger(config.LOG_LEVEL);
const db = await openDatabase(config, logger);
try {
  const pending = await db.orm.migrator.getPending();
  if (pending.length) {
    console.error(`the database has ${pending.length} pending migration(s): run npm run migrate first`);
    process.exitCode = 1;
  } else {
    await rotate();
  }
} finally {
  await db.close();
}

async function rotate() {
  const ring = keyring(config.WALLET_MASTER_KEYS);
  await verifyMasterKeys(db.orm.em.fork(), ring);
  const batchSize = Number(process.argv.find((a) => a.startsWith('--batch='))?.slice(8) ?? 200);
  const result = await rotateAllWalletKeys(db.orm.em.fork(), ring, {
    batchSize,
    onProgress: (p) => console.log(`rotated ${p.rotated} in this batch; ${p.remaining} wallet(s) left under older keys (target version ${p.newestVersion})`),
  });
  if (result.failed.length) {
    console.error(`${result.failed.length} wallet key(s) do not open and were left as they are: ${result.failed.join(', ')}`);
    process.exitCode = 1;
  }
  console.log(result.remaining === 0 ? `done: ${result.rotated} wallet key(s) re-encrypted` : `stopped with ${result.remaining} left under older keys`);
}
