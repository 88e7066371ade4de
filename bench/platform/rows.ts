/**
 * The rows of the platform benchmark: one GraphQL request each, sent unchanged (same bytes) to the three
 * servers. A row that reads a site's list names the fixture (a site seeded with that many rows) it reads.
 */

export type FixtureKind = 'wallets' | 'audit';

export interface Fixture {
  key: string;
  kind: FixtureKind;
  /** Rows of `kind` in the site, exactly (API-created ones included). */
  count: number;
  /** Which of the bench sites (1-based) holds them. */
  siteNo: number;
}

export const FIXTURES = {
  'wallets-10k': { key: 'wallets-10k', kind: 'wallets', count: 10_000, siteNo: 1 },
  'wallets-1k': { key: 'wallets-1k', kind: 'wallets', count: 1_000, siteNo: 2 },
  'wallets-1m': { key: 'wallets-1m', kind: 'wallets', count: 1_000_000, siteNo: 3 },
  'audit-1k': { key: 'audit-1k', kind: 'audit', count: 1_000, siteNo: 4 },
  'audit-1m': { key: 'audit-1m', kind: 'audit', count: 1_000_000, siteNo: 5 },
} as const satisfies Record<string, Fixture>;

export type FixtureKey = keyof typeof FIXTURES;

export interface RowSpec {
  id: string;
  title: string;
  /** The GraphQL query, sent as `{"query": …}` to every server. */
  query: string;
  /** Who asks: the bootstrap SUPER_ADMIN, or the SITE_ADMIN of a fixture's site. */
  caller: 'super' | FixtureKey;
  /** What the answer must hold, checked once before load (beyond the three servers agreeing). */
  expect: { list: 'sites'; length: number } | { list: 'wallets' | 'auditLog'; length: number; hasNextPage: boolean } | { list: 'me' };
  /** Rows compared with each other (the 1M row with its 1k row). */
  scaleOf?: string;
}

const WALLETS = 'query { wallets(first: 50) { edges { node { id network address label status balance createdAt } cursor } pageInfo { hasNextPage endCursor } } }';
const AUDIT = 'query { auditLog(first: 50) { edges { node { id action targetType targetId details ip at } cursor } pageInfo { hasNextPage endCursor } } }';
const page = (list: 'wallets' | 'auditLog') => ({ list, length: 50, hasNextPage: true });

export function allRows(sites: number): RowSpec[] {
  return [
    { id: 'me', title: 'me', query: 'query { me { id email role } }', caller: 'super', expect: { list: 'me' } },
    { id: 'sites', title: `sites (${sites})`, query: 'query { sites { id slug name createdAt } }', caller: 'super', expect: { list: 'sites', length: sites } },
    { id: 'wallets-10k', title: 'wallets(first: 50), 10k in site', query: WALLETS, caller: 'wallets-10k', expect: page('wallets') },
    { id: 'audit-1k', title: 'auditLog(first: 50), 1k in site', query: AUDIT, caller: 'audit-1k', expect: page('auditLog') },
    { id: 'audit-1m', title: 'auditLog(first: 50), 1M in site', query: AUDIT, caller: 'audit-1m', expect: page('auditLog'), scaleOf: 'audit-1k' },
    { id: 'wallets-1k', title: 'wallets(first: 50), 1k in site', query: WALLETS, caller: 'wallets-1k', expect: page('wallets') },
    { id: 'wallets-1m', title: 'wallets(first: 50), 1M in site', query: WALLETS, caller: 'wallets-1m', expect: page('wallets'), scaleOf: 'wallets-1k' },
  ];
}

/** The rows BENCH_ROWS asks for (all when unset); unknown names are an error, not silently skipped. */
export function selectRows(sites: number, wanted: string[] | null): RowSpec[] {
  const rows = allRows(sites);
  if (!wanted) return rows;
  const unknown = wanted.filter((w) => !rows.some((r) => r.id === w));
  if (unknown.length) throw new Error(`BENCH_ROWS: unknown row(s) ${unknown.join(', ')}; known: ${rows.map((r) => r.id).join(', ')}`);
  return rows.filter((r) => wanted.includes(r.id));
}
