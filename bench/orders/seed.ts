/**
 * The orders bench's rows. Two sites, each opened for sale through Vestline's own API (token price,
 * order limits, an Ethereum USDT PAYMENT asset and SALE DISTRIBUTION asset, a vesting plan, a SITE_ADMIN
 * and a CUSTOMER, a few real wallets with sealed keys):
 *
 * - the "create" site takes the createOrder load: its pool of AVAILABLE Ethereum wallets is bulk-inserted
 *   (random bytes as sealed_key, key_version 1: nothing on this path opens a key);
 * - the "list" site holds the orders the list row reads: a few real orders made through createOrder
 *   (the newest), the rest bulk-inserted with generate_series against that site's asset, plan, customer
 *   and a thousand bulk wallets.
 *
 * As in the platform bench, bulk rows go in after Vestline has started and Vestline is never restarted
 * on this database: its start-up check (verify-master-keys.ts) opens wallets, and random bytes do not open.
 */
import pg from 'pg';

/** Real orders made through the API in the list site (its newest rows), and real wallets per site. */
export const API_ORDERS = 5;
export const API_WALLETS = 5;
const PASSWORD = 'bench-orders-password-123';
/** A valid Ethereum payout address (checksummed), as in the tests. */
export const ETH_PAYOUT = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const ETH_USDT = '0xdAC17F958D2ee523a2206206994597C13D831ec7';
const ETH_SALE_TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3';
/** Price 0.05 per token: 100 USDT buys 2,000 tokens, exactly. */
export const TOKEN_PRICE = '0.05';
export const ORDER_AMOUNT = '100';
export const ORDER_TOKENS = '2000';

export interface SaleSite {
  siteId: string;
  planId: string;
  payAssetId: string;
  distAssetId: string;
  adminId: string;
  adminToken: string;
  customerId: string;
  customerToken: string;
}

export interface OrdersSeed {
  create: SaleSite;
  list: SaleSite;
}

interface GqlBody<T> {
  data?: T | null;
  errors?: { message: string }[];
}

export async function gql<T>(url: string, query: string, variables: Record<string, unknown>, token?: string): Promise<T> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
  const text = await res.text();
  const body = JSON.parse(text) as GqlBody<T>;
  if (res.status !== 200 || body.errors || !body.data) throw new Error(`Vestline setup request failed (${res.status}): ${text.slice(0, 400)}`);
  return body.data;
}

const LOGIN = 'mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token user { id } } }';

async function login(url: string, email: string, password: string): Promise<{ token: string; id: string }> {
  const { login: l } = await gql<{ login: { token: string; user: { id: string } } }>(url, LOGIN, { e: email, p: password });
  return { token: l.token, id: l.user.id };
}

/** A site opened for sale through the API, as test/support/sale.ts does it. */
async function openSale(url: string, superToken: string, slug: string): Promise<SaleSite> {
  const { createSite } = await gql<{ createSite: { id: string } }>(url, 'mutation($s: String!, $n: String!) { createSite(slug: $s, name: $n) { id } }', { s: slug, n: slug }, superToken);
  const siteId = createSite.id;
  const user = async (role: string) => {
    const email = `${role.toLowerCase()}@${slug}.test`;
    await gql(url, 'mutation($i: CreateUserInput!) { createUser(input: $i) { id } }', { i: { email, password: PASSWORD, role, siteId } }, superToken);
    return login(url, email, PASSWORD);
  };
  const admin = await user('SITE_ADMIN');
  const customer = await user('CUSTOMER');
  await gql(url, 'mutation($i: SiteSettingsInput!) { updateSiteSettings(input: $i) { id } }', { i: { tokenPrice: TOKEN_PRICE, minOrderAmount: '10', maxOrderAmount: '100000' } }, admin.token);
  const asset = 'mutation($i: AssetInput!) { upsertAsset(input: $i) { id } }';
  const pay = await gql<{ upsertAsset: { id: string } }>(
    url,
    asset,
    { i: { network: 'ETHEREUM', symbol: 'USDT', decimals: 6, contractAddress: ETH_USDT, purpose: 'PAYMENT', confirmationsRequired: 12, active: true } },
    admin.token,
  );
  const dist = await gql<{ upsertAsset: { id: string } }>(
    url,
    asset,
    { i: { network: 'ETHEREUM', symbol: 'SALE', decimals: 18, contractAddress: ETH_SALE_TOKEN, purpose: 'DISTRIBUTION', custodyAssetId: 'SALE_ETH', confirmationsRequired: 12, active: true } },
    admin.token,
  );
  const plan = await gql<{ createVestingPlan: { id: string } }>(
    url,
    'mutation($i: VestingPlanInput!) { createVestingPlan(input: $i) { id } }',
    { i: { name: 'standard', tgeBps: 1000, cliffDays: 90, periods: 12, periodDays: 30 } },
    admin.token,
  );
  await gql(url, 'mutation($c: Int!) { generateWallets(network: ETHEREUM, count: $c) { id } }', { c: API_WALLETS }, admin.token);
  return {
    siteId,
    planId: plan.createVestingPlan.id,
    payAssetId: pay.upsertAsset.id,
    distAssetId: dist.upsertAsset.id,
    adminId: admin.id,
    adminToken: admin.token,
    customerId: customer.id,
    customerToken: customer.token,
  };
}

/** Both sites through the API, and the list site's real orders (made by its customer, through createOrder). */
export async function seedOrdersThroughApi(graphqlUrl: string, superAdmin: { email: string; password: string }): Promise<OrdersSeed> {
  const root = await login(graphqlUrl, superAdmin.email, superAdmin.password);
  const create = await openSale(graphqlUrl, root.token, 'bench-orders-create');
  const list = await openSale(graphqlUrl, root.token, 'bench-orders-list');
  for (let i = 0; i < API_ORDERS; i++) {
    await gql(
      graphqlUrl,
      'mutation($i: CreateOrderInput!) { createOrder(input: $i) { id } }',
      { i: { network: 'ETHEREUM', amount: `${100 + i}.25`, payoutAddress: ETH_PAYOUT, planId: list.planId } },
      list.customerToken,
    );
  }
  return { create, list };
}

/**
 * Bulk AVAILABLE Ethereum wallets in a site, older than the real ones (allocation takes the oldest
 * `updated_at` first). Addresses are unique per (network, address): `tag` keeps two sites apart.
 */
async function bulkWallets(client: pg.Client, siteId: string, tag: number, count: number, status: 'AVAILABLE' | 'DISABLED'): Promise<void> {
  await client.query(
    `insert into wallet (id, site_id, network, address, label, status, sealed_key, key_version, created_at, updated_at)
     select gen_random_uuid(), $1, 'ETHEREUM'::network,
       '0x' || lpad(to_hex($2::int), 8, '0') || lpad(to_hex(i), 32, '0'),
       null, $3::wallet_status,
       uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()) || uuid_send(gen_random_uuid()) || substr(uuid_send(gen_random_uuid()), 1, 12),
       1,
       now() - interval '1 day' - (($4::int - i) * interval '1 millisecond'),
       now() - interval '1 day' - (($4::int - i) * interval '1 millisecond')
     from generate_series(1, $4::int) as i`,
    [siteId, tag, status, count],
  );
}

/**
 * The list site's bulk orders, older than its real ones, two per timestamp (so the id tie-break
 * shows), with millisecond timestamps like every one Vestline writes. Statuses, amounts and
 * confirmations vary and satisfy the table's checks (paid_at iff PAID; confirmed <= received).
 * Each order names one of the site's wallets (round robin) and pays to its address.
 */
async function bulkOrders(client: pg.Client, s: SaleSite, count: number): Promise<void> {
  const { rows } = await client.query<{ oldest: Date }>('select min(created_at) as oldest from payment_order where site_id = $1', [s.siteId]);
  const base = new Date(Math.floor((rows[0]?.oldest ?? new Date()).getTime() / 1000) * 1000 - 60_000);
  await client.query(
    `with w as (select array_agg(id order by id) as ids, array_agg(address order by id) as addrs, count(*)::int as n from wallet where site_id = $1),
     g as (
       select i,
         (case i % 10 when 0 then 'PAID' when 1 then 'PAID' when 2 then 'CONFIRMING' when 3 then 'UNDERPAID'
            when 4 then 'CANCELLED' when 5 then 'EXPIRED' when 6 then 'EXPIRED' else 'PENDING' end) as status,
         ((i % 5000) + 10)::numeric * 1000000 + (i % 7) * 1000 as expected,
         $6::timestamptz - (i / 2) * interval '1 second' as at
       from generate_series(1, $7::int) as i
     )
     insert into payment_order (id, site_id, reference, customer_id, status, network, asset_id, wallet_id, pay_to_address,
       amount_expected, amount_received, amount_confirmed, confirmations, confirmations_required, token_price, token_amount,
       distribution_asset_id, payout_address, plan_id, expires_at, paid_at, idempotency_key, idempotency_hash, created_at, updated_at)
     select gen_random_uuid(), $1, 'VL-B' || lpad(g.i::text, 11, '0'), $2, g.status::order_status, 'ETHEREUM'::network, $3,
       w.ids[1 + g.i % w.n], w.addrs[1 + g.i % w.n],
       g.expected,
       case g.status when 'PAID' then g.expected + (g.i % 3) * 500000 when 'CONFIRMING' then g.expected when 'UNDERPAID' then div(g.expected, 2) else 0 end,
       case g.status when 'PAID' then g.expected + (g.i % 3) * 500000 when 'UNDERPAID' then div(g.expected, 2) else 0 end,
       case g.status when 'PAID' then 12 when 'UNDERPAID' then 12 when 'CONFIRMING' then 3 else 0 end,
       12, $8::numeric, g.expected * 20000000000000, $4, $9, $5,
       g.at + interval '30 minutes',
       case g.status when 'PAID' then g.at + interval '7 minutes' end,
       null, null, g.at, g.at
     from g cross join w`,
    [s.siteId, s.customerId, s.payAssetId, s.distAssetId, s.planId, base, count, TOKEN_PRICE, ETH_PAYOUT],
  );
}

export interface BulkResult {
  poolWallets: number;
  listWallets: number;
  listOrders: number;
  seconds: number;
}

/** The create site's wallet pool and the list site's orders; then fresh statistics and visibility map. */
export async function seedOrdersBulk(databaseUrl: string, seed: OrdersSeed, sizes: { poolWallets: number; listOrders: number; listWallets: number }, log: (m: string) => void): Promise<BulkResult> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const t0 = Date.now();
  try {
    let t = Date.now();
    await bulkWallets(client, seed.create.siteId, 0xc0de, sizes.poolWallets, 'AVAILABLE');
    log(`bulk insert: ${sizes.poolWallets.toLocaleString('en-US')} AVAILABLE wallets in the create site in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    t = Date.now();
    await bulkWallets(client, seed.list.siteId, 0x11, sizes.listWallets, 'DISABLED');
    const have = (await client.query<{ n: number }>('select count(*)::int as n from payment_order where site_id = $1', [seed.list.siteId])).rows[0]!.n;
    const missing = sizes.listOrders - have;
    if (missing < 0) throw new Error(`the list site already has ${have} orders, more than ${sizes.listOrders}`);
    await bulkOrders(client, seed.list, missing);
    const n = (await client.query<{ n: number }>('select count(*)::int as n from payment_order where site_id = $1', [seed.list.siteId])).rows[0]!.n;
    if (n !== sizes.listOrders) throw new Error(`expected ${sizes.listOrders} orders in the list site after the bulk insert, found ${n}`);
    log(`bulk insert: ${missing.toLocaleString('en-US')} orders (and ${sizes.listWallets.toLocaleString('en-US')} wallets) in the list site in ${((Date.now() - t) / 1000).toFixed(1)} s`);
    t = Date.now();
    await client.query('vacuum (analyze) wallet, payment_order, audit_entry, asset, site, app_user, vesting_plan');
    log(`vacuum analyze: ${((Date.now() - t) / 1000).toFixed(1)} s`);
    return { poolWallets: sizes.poolWallets, listWallets: sizes.listWallets, listOrders: n, seconds: (Date.now() - t0) / 1000 };
  } finally {
    await client.end();
  }
}
