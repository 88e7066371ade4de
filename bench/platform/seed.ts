/**
 * The benchmark's rows. Everything a user can create goes through Vestline's own GraphQL API (sites,
 * SITE_ADMIN users, a handful of real wallets with sealed keys); the bulk (up to a million wallets or
 * audit entries in one site) is inserted with generate_series afterwards.
 *
 * Bulk wallets carry random bytes as sealed_key: nothing on the read path opens a key, but the start-up
 * check (verify-master-keys.ts) opens one wallet per key version, so the bulk goes in after Vestline
 * has started and Vestline is never restarted on this database.
 */
import pg from 'pg';
import { FIXTURES, type Fixture, type FixtureKey, type RowSpec } from './rows.js';

export interface SiteCaller {
  siteId: string;
  userId: string;
  token: string;
}

export interface Seeded {
  superId: string;
  superToken: string;
  siteIds: string[];
  callers: Partial<Record<FixtureKey, SiteCaller>>;
  /** Rows inserted in bulk per fixture, and how long the bulk took. */
  bulk: { fixture: FixtureKey; inserted: number; ms: number }[];
}

/** Real wallets per wallet fixture, made by generateWallets: TRON with labels, ETHEREUM without. */
export const API_WALLETS = 5;
const SITE_ADMIN_PASSWORD = 'bench-site-admin-password-123';

interface GqlBody<T> {
  data?: T | null;
  errors?: { message: string }[];
}

async function gql<T>(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const text = await res.text();
  const body = JSON.parse(text) as GqlBody<T>;
  if (res.status !== 200 || body.errors || !body.data) throw new Error(`Vestline setup request failed (${res.status}): ${text.slice(0, 400)}`);
  return body.data;
}

const LOGIN = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token user { id } } }';

/** Sites, callers and real wallets through the API; returns before any bulk insert. */
export async function seedThroughApi(graphqlUrl: string, admin: { email: string; password: string }, sites: number, fixtures: Fixture[]): Promise<Omit<Seeded, 'bulk'>> {
  const { login } = await gql<{ login: { token: string; user: { id: string } } }>(graphqlUrl, LOGIN, { e: admin.email, p: admin.password });
  const superToken = login.token;
  const siteIds: string[] = [];
  for (let i = 1; i <= sites; i++) {
    const slug = `bench-site-${String(i).padStart(2, '0')}`;
    const { createSite } = await gql<{ createSite: { id: string } }>(
      graphqlUrl,
      'mutation($s: String!, $n: String!) { createSite(slug: $s, name: $n) { id } }',
      { s: slug, n: `Bench site ${i}` },
      superToken,
    );
    siteIds.push(createSite.id);
  }

  const callers: Seeded['callers'] = {};
  for (const f of fixtures) {
    const siteId = siteIds[f.siteNo - 1]!;
    const email = `bench-admin-${f.siteNo}@vestline.test`;
    await gql(
      graphqlUrl,
      'mutation($input: CreateUserInput!) { createUser(input: $input) { id } }',
      { input: { email, password: SITE_ADMIN_PASSWORD, role: 'SITE_ADMIN', siteId } },
      superToken,
    );
    const { login: l } = await gql<{ login: { token: string; user: { id: string } } }>(graphqlUrl, LOGIN, { e: email, p: SITE_ADMIN_PASSWORD });
    callers[f.key as FixtureKey] = { siteId, userId: l.user.id, token: l.token };
    // Real wallets (sealed keys, audit entries by the SITE_ADMIN) in every fixture site: the newest rows of each list.
    const generate = 'mutation($n: Network!, $c: Int!, $p: String) { generateWallets(network: $n, count: $c, labelPrefix: $p) { id } }';
    await gql(graphqlUrl, generate, { n: 'TRON', c: API_WALLETS, p: 'api' }, l.token);
    await gql(graphqlUrl, generate, { n: 'ETHEREUM', c: API_WALLETS, p: null }, l.token);
  }
  return { superId: login.user.id, superToken, siteIds, callers };
}

/**
 * Tops each fixture site up to exactly its count with generate_series. Bulk rows are older than the
 * API's (so the first page mixes both), two rows share each timestamp (so the id tie-break shows),
 * and timestamps have millisecond precision, like every timestamp Vestline writes.
 */
async function bulkInsert(client: pg.Client, f: Fixture, c: SiteCaller, superId: string): Promise<number> {
  const table = f.kind === 'wallets' ? 'wallet' : 'audit_entry';
  const { rows } = await client.query<{ n: number; oldest: Date | null }>(`select count(*)::int as n, min(${f.kind === 'wallets' ? 'created_at' : 'at'}) as oldest from ${table} where site_id = $1`, [c.siteId]);
  const have = rows[0]!.n;
  const missing = f.count - have;
  if (missing < 0) throw new Error(`${f.key}: site already has ${have} rows, more than ${f.count}`);
  const base = new Date(Math.floor((rows[0]!.oldest ?? new Date()).getTime() / 1000) * 1000 - 60_000);
  if (f.kind === 'wallets') {
    await client.query(
      `insert into wallet (id, site_id, network, address, label, status, sealed_key, key_version, created_at, updated_at)
       select gen_random_uuid(), $1,
         (case when i % 2 = 0 then 'TRON' else 'ETHEREUM' end)::network,
         case when i % 2 = 0 then 'T' || lpad($2::text, 4, '0') || lpad(i::text, 29, '0')
              else '0x' || lpad(to_hex($2::int), 8, '0') || lpad(to_hex(i), 32, '0') end,
         case when i % 3 = 0 then 'bulk-' || i end,
         (case when i % 5 = 0 then 'DISABLED' else 'AVAILABLE' end)::wallet_status,
         uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()) || substr(uuid_send(gen_random_uuid()), 1, 12),
         1,
         $3::timestamptz - (i / 2) * interval '1 second',
         $3::timestamptz - (i / 2) * interval '1 second'
       from generate_series(1, $4::int) as i`,
      [c.siteId, f.siteNo, base, missing],
    );
  } else {
    await client.query(
      `insert into audit_entry (id, site_id, actor_id, action, target_type, target_id, details, ip, at)
       select gen_random_uuid(), $1,
         case i % 10 when 0 then $2::uuid when 1 then null else $3::uuid end,
         case i % 3 when 0 then 'wallet.generated' when 1 then 'wallet.status_changed' else 'user.created' end,
         case i % 3 when 2 then 'User' else 'Wallet' end,
         gen_random_uuid()::text,
         jsonb_build_object('n', i, 'network', case when i % 2 = 0 then 'TRON' else 'ETHEREUM' end, 'labelPrefix', case when i % 4 = 0 then 'bulk' end, 'count', i % 500 + 1),
         case when i % 7 = 0 then null else '10.' || (i / 65536 % 256) || '.' || (i / 256 % 256) || '.' || (i % 256) end,
         $4::timestamptz - (i / 2) * interval '1 second'
       from generate_series(1, $5::int) as i`,
      [c.siteId, superId, c.userId, base, missing],
    );
  }
  const check = await client.query<{ n: number }>(`select count(*)::int as n from ${table} where site_id = $1`, [c.siteId]);
  if (check.rows[0]!.n !== f.count) throw new Error(`${f.key}: expected ${f.count} rows after the bulk insert, found ${check.rows[0]!.n}`);
  return missing;
}

export async function seedBulk(databaseUrl: string, api: Omit<Seeded, 'bulk'>, fixtures: Fixture[], log: (m: string) => void): Promise<Seeded['bulk']> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const bulk: Seeded['bulk'] = [];
    for (const f of fixtures) {
      const t0 = Date.now();
      const inserted = await bulkInsert(client, f, api.callers[f.key as FixtureKey]!, api.superId);
      bulk.push({ fixture: f.key as FixtureKey, inserted, ms: Date.now() - t0 });
      log(`bulk insert: ${f.key}: ${inserted.toLocaleString('en-US')} rows in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    // Fresh statistics and visibility map, so no server pays for hint bits or a stale plan.
    const t0 = Date.now();
    await client.query('vacuum (analyze) wallet, audit_entry, site, app_user');
    log(`vacuum analyze: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return bulk;
  } finally {
    await client.end();
  }
}

/** The fixtures the chosen rows read. */
export function fixturesFor(rows: RowSpec[]): Fixture[] {
  const keys = new Set(rows.flatMap((r) => (r.caller === 'super' ? [] : [r.caller])));
  return Object.values(FIXTURES).filter((f) => keys.has(f.key));
}
