import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres.js';
import { connectOrm, redactUrl, type Orm } from './orm.js';

export interface Database {
  orm: Orm;
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

/** Connects to DATABASE_URL, or starts the embedded PostgreSQL when it is unset (never in production). */
export async function openDatabase(config: Config, logger: Logger): Promise<Database> {
  let embedded: EmbeddedDatabase | undefined;
  let url = config.DATABASE_URL;
  if (!url) {
    embedded = await startEmbeddedPostgres(config.EMBEDDED_PG_DIR, logger);
    url = embedded.url;
    logger.info({ dir: config.EMBEDDED_PG_DIR, url: redactUrl(url) }, 'started embedded PostgreSQL');
  }
  try {
    const orm = await connectOrm(url, config.DB_POOL_MAX, logger);
    return {
      orm,
      url,
      embedded: !!embedded,
      async close() {
        await orm.close(true);
        await embedded?.stop();
      },
    };
  } catch (e) {
    await embedded?.stop();
    throw e;
  }
}
