/** A fresh database for one benchmark run; traffic stays on this machine. */
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres } from '../src/db/embedded-postgres.js';

export interface BenchDatabase {
  url: string;
  description: string;
  drop(): Promise<void>;
}

/** A fresh, empty database: a new one on DATABASE_URL's server, else an embedded PostgreSQL in a temp dir. */
export async function freshDatabase(): Promise<BenchDatabase> {
  const given = process.env.DATABASE_URL;
  if (given) {
    const name = `vl_bench_${randomBytes(6).toString('hex')}`;
    const admin = async (sql: string) => {
      const c = new pg.Client({ connectionString: given, connectionTimeoutMillis: 5000 });
      await c.connect();
      try {
        await c.query(sql);
      } finally {
        await c.end();
      }
    };
    await admin(`create database "${name}"`);
    const url = new URL(given);
    url.pathname = `/${name}`;
    return { url: url.toString(), description: `database ${name} on DATABASE_URL's server`, drop: () => admin(`drop database if exists "${name}" with (force)`) };
  }
  const dir = await mkdtemp(join(tmpdir(), 'vestline-bench-pg-'));
  await chmod(dir, 0o755); // as root the server runs as the postgres user, who must reach it
  const server = await startEmbeddedPostgres(join(dir, 'data'), undefined, false);
  return {
    url: server.url,
    description: 'embedded PostgreSQL in a temp dir',
    async drop() {
      await server.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

