import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface TestDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.VESTLINE_TEST_ADMIN_URL;
  if (!url) throw new Error('VESTLINE_TEST_ADMIN_URL is unset: run the tests through jest (global setup)');
  return url;
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

async function admin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * A fresh, empty database on the test server: each test file gets its own. With `template`, a copy of
 * that test database instead (nothing may be connected to it), so tests can each start from the same
 * prepared state without sharing it.
 */
export async function createTestDatabase(opts: { template?: TestDatabase } = {}): Promise<TestDatabase> {
  const name = `vl_test_${randomBytes(6).toString('hex')}`;
  await admin((c) => c.query(`create database "${name}"${opts.template ? ` template "${opts.template.name}"` : ''}`));
  return {
    name,
    url: withDatabase(adminUrl(), name),
    drop: () => admin((c) => c.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}
