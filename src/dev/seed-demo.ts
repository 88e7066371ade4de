import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Deps } from '../deps.js';
import { Asset } from '../entities/asset.entity.js';
import { AssetPurpose, Network } from '../entities/enums.js';
import { Role } from '../entities/role.js';
import { Site } from '../entities/site.entity.js';
import { SITE_FILTER } from '../entities/site-scope.js';
import { User } from '../entities/user.entity.js';
import { upsertAsset } from '../services/assets/upsert-asset.js';
import type { Actor } from '../services/auth/actor.js';
import { canonicalAddress } from '../services/chain/address.js';
import type { Scope } from '../services/scope.js';
import { createSite } from '../services/sites/create-site.js';
import { updateSiteSettings } from '../services/sites/update-site-settings.js';
import { createUser } from '../services/users/create-user.js';
import { createVestingPlan } from '../services/vesting-plans/create-vesting-plan.js';
import { generateWallets } from '../services/wallets/generate-wallets.js';
import { DEV_USDT } from './dev-chain.js';

/** The demo sale seeded on the dev chain's first start (DEV_CHAIN=anvil). */
export const DEMO = {
  slug: 'demo',
  name: 'Demo token sale',
  adminEmail: 'admin@demo.vestline.local',
  customerEmail: 'customer@demo.vestline.local',
  tokenPrice: '0.05',
  minOrderAmount: '10',
  maxOrderAmount: '100000',
  plan: { name: '10% TGE, 90-day cliff, 12 monthly', tgeBps: 1000, cliffDays: 90, periods: 12, periodDays: 30 },
  /** Few, so an order goes PAID within seconds on the dev chain. */
  paymentConfirmations: 2,
  /** The sale token paid out: a fixed address (nothing is deployed there; payouts are not part of the demo). */
  distribution: { symbol: 'VST', decimals: 18, contractAddress: '0x1234567890abcdef1234567890abcdef12345678', custodyAssetId: 'VST_ETH_TEST' },
  wallets: 10,
} as const;

export interface DemoLogin {
  email: string;
  /** Generated here; shown once in the development banner and never stored in clear. */
  password: string;
}

export interface DemoSeed {
  /** True when this call created the demo site; false when it was there already. */
  created: boolean;
  siteId: string;
  slug: string;
  /** The logins made by this call (null when the site was there already). */
  logins: { admin: DemoLogin; customer: DemoLogin } | null;
  /** True when the PAYMENT asset was switched to `paymentContract` (the dev chain's token moved). */
  paymentAssetReplaced: boolean;
}

const generatedPassword = () => randomBytes(12).toString('base64url');

/** The use cases are called as the platform's first SUPER_ADMIN: creating users needs a signed-in creator. */
async function seedingActor(em: EntityManager): Promise<Actor | null> {
  const admin = await em.findOne(User, { role: Role.SUPER_ADMIN }, { filters: false, orderBy: { createdAt: 'asc', id: 'asc' } });
  return admin ? { userId: admin.id, email: admin.email, role: Role.SUPER_ADMIN, siteId: null } : null;
}

function scopeIn(em: EntityManager, deps: Deps, actor: Actor, siteId: string | null): Scope {
  if (siteId) em.setFilterParams(SITE_FILTER, { siteId });
  return { em, deps, actor, siteId, ip: null };
}

/**
 * Seeds the `demo` site on a development chain, through the same use cases (and audit entries) an
 * admin's API calls would go through: a SITE_ADMIN and a CUSTOMER with generated passwords, a token
 * price, a vesting plan, the Ethereum PAYMENT asset (the dev chain's test USDT) and DISTRIBUTION asset,
 * and deposit wallets. All in one transaction: either the whole demo exists or none of it does.
 *
 * When the site exists it is left as it is, except that its Ethereum PAYMENT asset is switched to
 * `paymentContract` if the dev chain's token is elsewhere now (a chain started afresh in an unusual
 * state); normally the token keeps its address and this is a no-op. Returns null (and logs why) when
 * there is no SUPER_ADMIN to act as.
 */
export async function seedDemo(deps: Deps, opts: { paymentContract: string }): Promise<DemoSeed | null> {
  const em = deps.orm.em.fork();
  const paymentContract = canonicalAddress(Network.ETHEREUM, opts.paymentContract, 'paymentContract');
  const actor = await seedingActor(em);
  if (!actor) {
    deps.logger.warn('no SUPER_ADMIN to create the demo site as (BOOTSTRAP_ADMIN_EMAIL unset?): demo not seeded');
    return null;
  }
  const existing = await em.findOne(Site, { slug: DEMO.slug });
  if (existing) {
    const replaced = await usePaymentContract(em, deps, actor, existing.id, paymentContract);
    return { created: false, siteId: existing.id, slug: DEMO.slug, logins: null, paymentAssetReplaced: replaced };
  }

  const logins = {
    admin: { email: DEMO.adminEmail, password: generatedPassword() },
    customer: { email: DEMO.customerEmail, password: generatedPassword() },
  };
  const siteId = await em.transactional(async (tx) => {
    const site = await createSite(scopeIn(tx, deps, actor, null), { slug: DEMO.slug, name: DEMO.name });
    const scope = scopeIn(tx, deps, actor, site.id);
    await createUser(scope, { email: logins.admin.email, password: logins.admin.password, role: Role.SITE_ADMIN, siteId: site.id });
    await createUser(scope, { email: logins.customer.email, password: logins.customer.password, role: Role.CUSTOMER, siteId: site.id });
    await updateSiteSettings(scope, { tokenPrice: DEMO.tokenPrice, minOrderAmount: DEMO.minOrderAmount, maxOrderAmount: DEMO.maxOrderAmount });
    await createVestingPlan(scope, DEMO.plan);
    await upsertAsset(scope, {
      network: Network.ETHEREUM,
      symbol: DEV_USDT.symbol,
      decimals: DEV_USDT.decimals,
      contractAddress: paymentContract,
      purpose: AssetPurpose.PAYMENT,
      confirmationsRequired: DEMO.paymentConfirmations,
      active: true,
    });
    await upsertAsset(scope, {
      network: Network.ETHEREUM,
      symbol: DEMO.distribution.symbol,
      decimals: DEMO.distribution.decimals,
      contractAddress: DEMO.distribution.contractAddress,
      purpose: AssetPurpose.DISTRIBUTION,
      custodyAssetId: DEMO.distribution.custodyAssetId,
      confirmationsRequired: 12,
      active: true,
    });
    await generateWallets(scope, { network: Network.ETHEREUM, count: DEMO.wallets, labelPrefix: 'demo' });
    return site.id;
  });
  deps.logger.info({ siteId, slug: DEMO.slug, admin: DEMO.adminEmail, customer: DEMO.customerEmail }, 'seeded the demo site');
  return { created: true, siteId, slug: DEMO.slug, logins, paymentAssetReplaced: false };
}

/**
 * Makes `contract` the demo site's active Ethereum PAYMENT asset when the active ones all point
 * elsewhere. Orders take the oldest active PAYMENT asset of a network, so the old ones are switched
 * off (kept: past orders refer to them) in the same transaction as the new one is added.
 */
async function usePaymentContract(em: EntityManager, deps: Deps, actor: Actor, siteId: string, contract: string): Promise<boolean> {
  const scope = scopeIn(em.fork(), deps, actor, siteId);
  const active = await scope.em.find(Asset, { network: Network.ETHEREUM, purpose: AssetPurpose.PAYMENT, active: true }, { orderBy: { createdAt: 'asc', id: 'asc' } });
  // Only a token that moved is followed: an admin's own choices (none active, another one added) stay.
  if (!active.length || active.some((a) => a.contractAddress === contract)) return false;
  await scope.em.transactional(async (tx) => {
    const inTx = scopeIn(tx, deps, actor, siteId);
    for (const old of active) {
      await upsertAsset(inTx, { ...assetInput(old), active: false });
    }
    await upsertAsset(inTx, {
      network: Network.ETHEREUM,
      symbol: DEV_USDT.symbol,
      decimals: DEV_USDT.decimals,
      contractAddress: contract,
      purpose: AssetPurpose.PAYMENT,
      confirmationsRequired: DEMO.paymentConfirmations,
      active: true,
    });
  });
  deps.logger.warn({ siteId, contract }, 'the dev chain\'s test USDT moved: switched the demo site\'s PAYMENT asset to it');
  return true;
}

function assetInput(a: Asset) {
  return {
    network: a.network,
    symbol: a.symbol,
    decimals: a.decimals,
    contractAddress: a.contractAddress,
    purpose: a.purpose,
    custodyAssetId: a.custodyAssetId,
    confirmationsRequired: a.confirmationsRequired,
  };
}
