import { jest } from '@jest/globals';
import type { RunningApp } from '../../src/app.js';

/**
 * The SQL statements the app sends to PostgreSQL while `fn` runs, counted at the `pg` client class
 * of the ORM's own pool, under the ORM and every other layer: whatever path a statement takes, it is
 * seen here. Run it on a process with no job worker (`--role=api`), so every statement belongs to the
 * request.
 */
export async function statementsDuring(app: Pick<RunningApp, 'deps'>, fn: () => Promise<unknown>): Promise<string[]> {
  const pool = (await app.deps.orm.em.getConnection().getNativeClient()) as unknown as { Client: { prototype: { query(...args: unknown[]): unknown } } };
  const spy = jest.spyOn(pool.Client.prototype, 'query');
  try {
    await fn();
    return spy.mock.calls.map(([q]) => (typeof q === 'string' ? q : String((q as { text?: string }).text ?? '')));
  } finally {
    spy.mockRestore();
  }
}
