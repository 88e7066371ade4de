import { InvalidInputError } from './errors.js';

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
    if (typeof at !== 'string' || typeof id !== 'string' || Number.isNaN(date.getTime())) throw new Error('shape');
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
