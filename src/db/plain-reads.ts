import type { Pool } from 'pg';
import type { Orm } from './orm.js';

/**
 * Reads that return plain rows straight from the ORM's own `pg` pool: no unit of work, no identity
 * map, no query builder. For the hot path (authentication on every request) and list pages, where the
 * ORM's layers cost more than the statement. Writes and anything inside a transaction use the
 * EntityManager. Statements use `?` placeholders, like `em.execute`.
 */
export interface PlainReads {
  /**
   * `prepared` names a server-side prepared statement (parsed and planned once per connection): for a
   * statement of the hot path that is large to plan, one name per SQL text.
   */
  rows<T>(sql: string, params?: readonly unknown[], opts?: { prepared?: string }): Promise<T[]>;
}

/** `?` -> `$1, $2, …` (no statement of ours has a `?` inside a string literal or operator). */
function numbered(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}

export function plainReads(orm: Orm): PlainReads {
  let pool: Pool | undefined;
  const cache = new Map<string, string>();
  return {
    async rows<T>(sql: string, params: readonly unknown[] = [], opts: { prepared?: string } = {}) {
      pool ??= (await orm.em.getConnection().getNativeClient()) as Pool;
      let text = cache.get(sql);
      if (text === undefined) {
        text = numbered(sql);
        if (cache.size < 1000) cache.set(sql, text);
      }
      const result = await pool.query({ text, values: params as unknown[], ...(opts.prepared ? { name: opts.prepared } : {}) });
      return result.rows as T[];
    },
  };
}

/** Plain rows carry timestamps as PostgreSQL text (the pool's type parsers); rows map them with this. */
export function asDate(v: Date | string): Date {
  return v instanceof Date ? v : new Date(v);
}

export function asDateOrNull(v: Date | string | null): Date | null {
  return v === null ? null : asDate(v);
}
