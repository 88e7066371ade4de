import type { EntityManager, EntityName, FilterQuery, FindOptions } from '@mikro-orm/postgresql';
import { InvalidInputError } from './errors.js';
import { isUuid } from './ids.js';

export const MAX_PAGE_SIZE = 100;

export interface Page<T> {
  items: T[];
  hasNextPage: boolean;
  endCursor: string | null;
  totalCount: number;
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
 * Newest-first keyset page over (timeField, id). One query for the page (+1 row to know if there is
 * more) and one count; the cursor survives inserts, unlike an offset.
 */
export async function keysetPage<T extends { id: string }>(
  em: EntityManager,
  entity: EntityName<T>,
  base: FilterQuery<T>,
  timeField: string & keyof T,
  q: { first: number; after?: string | null },
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
  const [rows, totalCount] = await Promise.all([em.find(entity, where as never, { ...options, orderBy, limit: first + 1 } as FindOptions<T>), em.count(entity, base as never, { filters: options.filters } as never)]);
  const items = rows.slice(0, first);
  const last = items.at(-1);
  return { items, hasNextPage: rows.length > first, endCursor: last ? encodeCursor({ at: last[timeField] as Date, id: last.id }) : null, totalCount };
}
