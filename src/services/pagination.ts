import { raw, type EntityManager, type EntityName, type FilterQuery, type FindOptions } from '@mikro-orm/postgresql';
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

/**
 * Newest-first keyset page over (timeField, id): one query for the page (+1 row to know if there is
 * more), and a capped count only when the caller wants the total. The cursor survives inserts,
 * unlike an offset.
 */
export async function keysetPage<T extends { id: string }>(
  em: EntityManager,
  entity: EntityName<T>,
  base: FilterQuery<T>,
  timeField: string & keyof T,
  q: { first: number; after?: string | null; withTotal?: boolean },
  options: Pick<FindOptions<T>, 'populate' | 'filters'> = {},
): Promise<Page<T>> {
  const first = checkPageSize(q.first);
  const cursor = q.after ? decodeCursor(q.after) : null;
  // The field name is dynamic, which FilterQuery cannot type; both shapes are plain MikroORM filters.
  const where = (cursor
    ? { $and: [base, { $or: [{ [timeField]: { $lt: cursor.at } }, { [timeField]: cursor.at, id: { $lt: cursor.id } }] }] }
    : base) as FilterQuery<T>;
  const orderBy = { [timeField]: 'desc', id: 'desc' } as FindOptions<T>['orderBy'];
  // `as never`: MikroORM's index-aware filter type cannot be resolved for an open entity type T.
  const [rows, total] = await Promise.all([
    em.find(entity, where as never, { ...options, orderBy, limit: first + 1 } as FindOptions<T>),
    q.withTotal ? cappedCount(em, entity, base, options.filters) : undefined,
  ]);
  const items = rows.slice(0, first);
  return { items, cursors: items.map((r) => encodeCursor({ at: r[timeField] as Date, id: r.id })), hasNextPage: rows.length > first, total };
}

/** count(*) of at most TOTAL_COUNT_CAP + 1 rows: enough to tell "exactly n" from "at least the cap". */
async function cappedCount<T extends object>(em: EntityManager, entity: EntityName<T>, where: FilterQuery<T>, filters: FindOptions<T>['filters']): Promise<{ count: number; capped: boolean }> {
  const sub = em.createQueryBuilder(entity).select(raw('1')).where(where as never).limit(TOTAL_COUNT_CAP + 1);
  // The same filters as the page query (the site filter, or none for the platform's own rows).
  await sub.applyFilters(filters);
  const { sql, params } = sub.toQuery();
  const [row] = await em.execute<{ n: number }[]>(`select count(*)::int as n from (${sql}) as page_total`, [...params]);
  const n = row?.n ?? 0;
  return n > TOTAL_COUNT_CAP ? { count: TOTAL_COUNT_CAP, capped: true } : { count: n, capped: false };
}
