import { PASSWORD, type SiteFixture, type TestApp } from './test-app.js';

/** A test USDT on Ethereum (6 decimals) and the sale token paid out there (18 decimals). */
export const ETH_USDT = '0xdAC17F958D2ee523a2206206994597C13D831ec7';
export const ETH_SALE_TOKEN = '0x1234567890abcdef1234567890abcdef12345678';
/** A valid payout address on each network. */
export const ETH_PAYOUT = '0x70997970C51812dc3A010C7d01b50e0d17dc79C8';
export const TRON_PAYOUT = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';

export interface Sale {
  planId: string;
  paymentAssetId: string;
  /** A second customer of the site, to prove customers cannot see each other's orders. */
  otherCustomerToken: string;
}

async function ok<T>(p: Promise<{ data?: T | null; errors?: unknown }>, what: string): Promise<T> {
  const r = await p;
  if (r.errors || !r.data) throw new Error(`${what} failed: ${JSON.stringify(r.errors)}`);
  return r.data;
}

/**
 * Opens a sale on a site through the API: price 0.05 per token, order limits 10-100000, an Ethereum
 * PAYMENT asset (`confirmations` required) and DISTRIBUTION asset, a plan, `wallets` Ethereum deposit
 * wallets (in batches of 500, the API's cap) and a second customer.
 */
export async function openSale(t: TestApp, site: SiteFixture, opts: { wallets: number; confirmations?: number; paymentContract?: string; slug: string }): Promise<Sale> {
  const admin = { token: site.adminToken };
  await ok(t.gql('mutation($i:SiteSettingsInput!){updateSiteSettings(input:$i){id}}', { i: { tokenPrice: '0.05', minOrderAmount: '10', maxOrderAmount: '100000' } }, admin), 'updateSiteSettings');
  const asset = 'mutation($i:AssetInput!){upsertAsset(input:$i){id}}';
  const pay = await ok<{ upsertAsset: { id: string } }>(
    t.gql(asset, { i: { network: 'ETHEREUM', symbol: 'USDT', decimals: 6, contractAddress: opts.paymentContract ?? ETH_USDT, purpose: 'PAYMENT', confirmationsRequired: opts.confirmations ?? 12, active: true } }, admin),
    'upsertAsset PAYMENT',
  );
  await ok(t.gql(asset, { i: { network: 'ETHEREUM', symbol: 'SALE', decimals: 18, contractAddress: ETH_SALE_TOKEN, purpose: 'DISTRIBUTION', custodyAssetId: 'SALE_ETH', confirmationsRequired: 12, active: true } }, admin), 'upsertAsset DISTRIBUTION');
  const plan = await ok<{ createVestingPlan: { id: string } }>(
    t.gql('mutation($i:VestingPlanInput!){createVestingPlan(input:$i){id}}', { i: { name: 'standard', tgeBps: 1000, cliffDays: 90, periods: 12, periodDays: 30 } }, admin),
    'createVestingPlan',
  );
  for (let left = opts.wallets; left > 0; left -= 500) {
    await ok(t.gql('mutation($n:Int!){generateWallets(network:ETHEREUM,count:$n){id}}', { n: Math.min(500, left) }, admin), 'generateWallets');
  }
  const email = `customer2@${opts.slug}.test`;
  await ok(t.gql('mutation($i:CreateUserInput!){createUser(input:$i){id}}', { i: { email, password: PASSWORD, role: 'CUSTOMER', siteId: site.siteId } }, admin), 'createUser');
  return { planId: plan.createVestingPlan.id, paymentAssetId: pay.upsertAsset.id, otherCustomerToken: await t.login(email, PASSWORD) };
}
