import { asDate, type PlainReads } from '../db/plain-reads.js';
import { andAll, type SqlFragment } from './db/transition.js';
import { InvalidInputError } from './errors.js';
import { isUuid } from './ids.js';

export const MAX_PAGE_SIZE = 100;
/**
 * A total is counted up to this many rows and then reported as capped: an exact count(*) over a
 * million rows costs hundreds of milliseconds, a capped one never more than this many index entries.
 */
export const TOTAL_COUNT_CAP = 10_000;

export interface Page<T> {
  items: T[];
  /** One cursor per item, in order. */
  cursors: string[];
  hasNextPage: boolean;
  /** Only when asked for (`withTotal`). */
  total?: { count: number; capped: boolean };
}

/** Keyset cursor over (timestamp, id): stable under inserts, unlike offsets. */
export interface KeysetCursor {
  at: Date;
  id: string;
}

export function encodeCursor(c: KeysetCursor): string {
  return Buffer.from(JSON.stringify([c.at.toISOString(), c.id])).toString('base64url');
}

export function decodeCursor(cursor: string): KeysetCursor {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const date = new Date(String(at));
    if (typeof at !== 'string' || !isUuid(id) || Number.isNaN(date.getTime())) throw new Error('shape');
    return { at: date, id };
  } catch {
    throw new InvalidInputError('Invalid cursor', { field: 'after' });
  }
}

export function checkPageSize(first: number): number {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
    throw new InvalidInputError(`first must be between 1 and ${MAX_PAGE_SIZE}`, { field: 'first' });
  }
  return first;
}

/** A list filter: `column` (an enum) is one of `values` (non-empty). */
export function oneOf(column: string, values: readonly string[]): SqlFragment {
  return { sql: `${column}::text in (${values.map(() => '?').join(', ')})`, params: [...values] };
}

/** A list filter by id: a string that is no uuid names nothing, so an empty page, not a database error. */
export function idIs(column: string, id: string): SqlFragment {
  return isUuid(id) ? { sql: `${column} = ?`, params: [id] } : { sql: 'false' };
}

export interface KeysetQuery {
  /** The table (with its alias) and any joins, e.g. `wallet w left join asset a on a.id = w.balance_asset_id`. */
  from: string;
  /** The alias of the paged table: its `id`, `site_id` and time column key the page. */
  alias: string;
  /** The columns to return (plain rows, mapped by the caller). */
  columns: string;
  /** The rows' site; null reads the rows that belong to no site (the platform's own). */
  siteId: string | null;
  /** Timestamp column of the paged table the page is ordered by (newest first), with `id` as tie-break. */
  timeColumn: string;
  /** Oldest first instead (e.g. releases by unlock time). */
  ascending?: boolean;
  /** Further conditions (filters), each with its own parameters. */
  where?: SqlFragment[];
  first: number;
  after?: string | null;
  withTotal?: boolean;
}

const IDENT = /^[a-z_][a-z0-9_]*$/;

/**
 * Newest-first keyset page as plain rows: one statement for the page (+1 row to know if there is
 * more), no entity hydration, and a capped count only when the caller wants the total. The site
 * condition is part of the statement, so a page can never mix sites. The cursor survives inserts,
 * unlike an offset; with an index on (site_id, time, id) a page costs the same at any table size.
 */
export async function keysetRows<R extends object>(reads: PlainReads, q: KeysetQuery): Promise<Page<R>> {
  const first = checkPageSize(q.first);
  const cursor = q.after ? decodeCursor(q.after) : null;
  if (!IDENT.test(q.alias) || !IDENT.test(q.timeColumn)) throw new Error('keysetRows: bad identifier');
  const a = q.alias;
  const site = q.siteId === null ? 'is null' : '= ?';
  const { sql: filters, params: filterParams } = andAll(q.where ?? []);
  const params = [...(q.siteId === null ? [] : [q.siteId]), ...filterParams];
  const after = cursor ? ` and (${a}.${q.timeColumn}, ${a}.id) ${q.ascending ? '>' : '<'} (?, ?)` : '';
  const direction = q.ascending ? 'asc' : 'desc';
  const [rows, total] = await Promise.all([
    reads.rows<R & { keyset_at: Date | string; keyset_id: string }>(
      `select ${q.columns}, ${a}.${q.timeColumn} as keyset_at, ${a}.id as keyset_id from ${q.from}
       where ${a}.site_id ${site}${filters}${after} order by ${a}.${q.timeColumn} ${direction}, ${a}.id ${direction} limit ?`,
      [...params, ...(cursor ? [cursor.at, cursor.id] : []), first + 1],
    ),
    q.withTotal
      ? reads.rows<{ n: number }>(`select count(*)::int as n from (select 1 from ${q.from} where ${a}.site_id ${site}${filters} limit ?) as capped`, [
          ...params,
          TOTAL_COUNT_CAP + 1,
        ])
      : undefined,
  ]);
  const items = rows.slice(0, first);
  const n = total?.[0]?.n;
  return {
    items,
    cursors: items.map((r) => encodeCursor({ at: asDate(r.keyset_at), id: r.keyset_id })),
    hasNextPage: rows.length > first,
    total: n === undefined ? undefined : n > TOTAL_COUNT_CAP ? { count: TOTAL_COUNT_CAP, capped: true } : { count: n, capped: false },
  };
}
