/** What bench:payouts and bench:webhooks share: the Vestline environment, GraphQL calls, a site opened through the API. */
import { BENCH_ADMIN, vestlineEnv as platformEnv } from '../platform/processes.js';
import { cpus, totalmem } from 'node:os';

export const SUPER = BENCH_ADMIN;
export const PASSWORD = 'bench-payouts-password-123';
export const ETH_PAYOUT = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
const ETH_USDT = '0xdAC17F958D2ee523a2206206994597C13D831ec7';
const ETH_SALE_TOKEN = '0x5FbDB2315678afecb367f032d93F642f64180aa3';

export const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

/** Vestline as deployed (bench/platform/processes.ts), with MOCK custody. */
export function vestlineEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return platformEnv(databaseUrl, {
    WALLET_POOL_MIN_AVAILABLE: '0',
    PAYOUT_MODE: 'MOCK',
    // No TRON traffic leaves the machine (the worker role's TRON watcher has nothing to watch anyway).
    TRON_API_URL: 'http://127.0.0.1:9',
    ...extra,
  });
}

/** `--role=all`: startVestlineProcess is typed for api/worker, main.ts takes all three. */
export const ROLE_ALL = 'all' as string as 'api';

export async function gql<T>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  const body = JSON.parse(text) as { data?: T | null; errors?: unknown };
  if (res.status !== 200 || !body.data || body.errors) throw new Error(`${query.slice(0, 70)}: HTTP ${res.status} ${text.slice(0, 400)}`);
  return body.data;
}

export async function login(url: string, email: string, password: string): Promise<{ token: string; id: string }> {
  const r = await gql<{ login: { token: string; user: { id: string } } }>(url, 'mutation($e:String!,$p:String!){login(email:$e,password:$p){token user{id}}}', { e: email, p: password });
  return { token: r.login.token, id: r.login.user.id };
}

export interface Site {
  siteId: string;
  planId: string;
  distAssetId: string;
  admins: { token: string; id: string }[];
  customer: { token: string; id: string };
}

/**
 * A site opened for sale through the API: token price 0.05, an Ethereum USDT PAYMENT asset, a SALE
 * DISTRIBUTION asset (18 decimals, custodyAssetId SALE_ETH), a plan, `admins` SITE_ADMINs, a CUSTOMER
 * and `wallets` real Ethereum deposit wallets.
 */
export async function openSite(url: string, slug: string, admins: number, wallets: number): Promise<Site> {
  const root = (await login(url, SUPER.email, SUPER.password)).token;
  const { createSite } = await gql<{ createSite: { id: string } }>(url, 'mutation($s:String!,$n:String!){createSite(slug:$s,name:$n){id}}', { s: slug, n: slug }, root);
  const siteId = createSite.id;
  const user = async (email: string, role: string) => {
    await gql(url, 'mutation($i:CreateUserInput!){createUser(input:$i){id}}', { i: { email, password: PASSWORD, role, siteId } }, root);
    return login(url, email, PASSWORD);
  };
  const adminList = [];
  for (let i = 0; i < admins; i++) adminList.push(await user(`admin${i}@${slug}.test`, 'SITE_ADMIN'));
  const customer = await user(`customer@${slug}.test`, 'CUSTOMER');
  const admin = adminList[0]!.token;
  await gql(url, 'mutation($i:SiteSettingsInput!){updateSiteSettings(input:$i){id}}', { i: { tokenPrice: '0.05', minOrderAmount: '10', maxOrderAmount: '100000' } }, admin);
  const asset = 'mutation($i:AssetInput!){upsertAsset(input:$i){id}}';
  await gql(url, asset, { i: { network: 'ETHEREUM', symbol: 'USDT', decimals: 6, contractAddress: ETH_USDT, purpose: 'PAYMENT', confirmationsRequired: 12, active: true } }, admin);
  const dist = await gql<{ upsertAsset: { id: string } }>(
    url,
    asset,
    { i: { network: 'ETHEREUM', symbol: 'SALE', decimals: 18, contractAddress: ETH_SALE_TOKEN, purpose: 'DISTRIBUTION', custodyAssetId: 'SALE_ETH', confirmationsRequired: 12, active: true } },
    admin,
  );
  const plan = await gql<{ createVestingPlan: { id: string } }>(url, 'mutation{createVestingPlan(input:{name:"bench",tgeBps:1000,cliffDays:0,periods:9,periodDays:30}){id}}', {}, admin);
  for (let left = wallets; left > 0; left -= 500) await gql(url, 'mutation($n:Int!){generateWallets(network:ETHEREUM,count:$n){id}}', { n: Math.min(500, left) }, admin);
  return { siteId, planId: plan.createVestingPlan.id, distAssetId: dist.upsertAsset.id, admins: adminList, customer };
}

export const percentile = (sorted: readonly number[], p: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]! : NaN);

export const machine = () => `${cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}`;

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
