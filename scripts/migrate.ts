/**
 * npm run migrate            apply pending migrations to DATABASE_URL (or the embedded database)
 * npm run migration:create   write a new migration from the difference between entities and the database
 */
import 'reflect-metadata';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { openDatabase } from '../src/db/database.js';
import { migrate } from '../src/db/orm.js';

const config = loadConfig(process.env);
const logger = createLogger(config.LOG_LEVEL);
const db = await openDatabase(config, logger);
try {
  if (process.argv[2] === 'create') {
    const result = await db.orm.migrator.create(undefined, false, process.argv[3] === '--initial');
    console.log(result.fileName ? `created ${result.fileName}; add it to src/db/migrations/index.ts` : 'no changes');
  } else {
    const applied = await migrate(db.orm);
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'database is up to date');
  }
} finally {
  await db.close();
}
