import { MikroORM, defineConfig, type Options } from '@mikro-orm/postgresql';
import { ReflectMetadataProvider } from '@mikro-orm/decorators/legacy';
import { Migrator } from '@mikro-orm/migrations';
import pg from 'pg';
import { entities } from '../entities/index.js';
import type { Logger } from '../logger.js';
import { NotFoundError } from '../services/errors.js';
import { migrationsList } from './migrations/index.js';

export type Orm = MikroORM;

export function ormOptions(databaseUrl: string, poolMax: number, logger?: Logger): Options {
  return defineConfig({
    clientUrl: databaseUrl,
    entities,
    metadataProvider: ReflectMetadataProvider,
    extensions: [Migrator],
    // Migrations are listed in code, not discovered on disk, so src (swc), dist and jest load the same set.
    // No schema snapshots: migration:create diffs against the database, and running migrations (every
    // test database does) must not write files into the source tree.
    migrations: { migrationsList, tableName: 'mikro_orm_migrations', transactional: true, allOrNothing: true, path: 'src/db/migrations', emit: 'ts', snapshot: false, snapshotOnMigrate: false },
    pool: { min: 0, max: poolMax },
    forceUtcTimezone: true,
    // A reference (e.g. an audit entry's SUPER_ADMIN actor, who has no site) must not turn into null
    // because the referenced row is outside the site filter; reads of the target row are filtered anyway.
    autoJoinRefsForFilters: false,
    // The unit of work must not write a row the caller did not ask to change.
    forceEntityConstructor: false,
    debug: false,
    logger: (message: string) => logger?.debug({ orm: message }),
    // A row of another site must look exactly like a missing one.
    findOneOrFailHandler: (entityName: string) => new NotFoundError(entityName),
  });
}

export async function connectOrm(databaseUrl: string, poolMax: number, logger?: Logger): Promise<Orm> {
  try {
    return await MikroORM.init(ormOptions(databaseUrl, poolMax, logger));
  } catch (e) {
    throw new Error(`Cannot connect to PostgreSQL at ${redactUrl(databaseUrl)}: ${(e as Error).message}`, { cause: e });
  }
}

/** Arbitrary constant: every Vestline process migrating the same database takes this lock. */
const MIGRATION_LOCK = 7_465_737_401;

/**
 * Applies pending migrations while holding a PostgreSQL advisory lock on a session of its own, so
 * several processes starting together with MIGRATE_ON_START migrate one after the other.
 */
export async function migrate(orm: Orm): Promise<string[]> {
  const lock = new pg.Client({ connectionString: orm.config.get('clientUrl') });
  await lock.connect();
  try {
    await lock.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await orm.migrator.up();
    return applied.map((m) => m.name);
  } finally {
    await lock.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await lock.end();
  }
}

/** Database URL without its password, for messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '<unparseable DATABASE_URL>';
  }
}
