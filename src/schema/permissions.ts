import type { GraphQLSchema } from 'graphql';
import { applyMiddleware, type IMiddlewareFieldMap } from 'graphql-middleware';
import { allow, rule, shield } from 'graphql-shield';
import { Role } from '../entities/role.js';
import { ForbiddenError, UnauthenticatedError } from '../services/errors.js';
import type { GraphQLContext } from './context.js';

/**
 * Who may call what (domain.md, Permissions). The fallback denies: a field without a rule here is
 * refused, so a new operation cannot ship open by accident. Whose data a caller may touch is the
 * services' job (every lookup is site-scoped).
 */
const refuse = (ctx: GraphQLContext) => (ctx.actor ? new ForbiddenError() : new UnauthenticatedError());

/** The listed roles; with `inSite`, the caller must act inside a site, and a SUPER_ADMIN may do so via x-site-id. */
function roles(name: string, allowed: Role[], opts: { inSite?: boolean } = {}) {
  return rule(name, { cache: 'contextual' })((_parent: unknown, _args: unknown, ctx: GraphQLContext) => {
    const actor = ctx.actor;
    if (!actor) return new UnauthenticatedError();
    if (opts.inSite) {
      if (!ctx.siteId) return new ForbiddenError('Choose a site (x-site-id) for this operation');
      return allowed.includes(actor.role) || actor.role === Role.SUPER_ADMIN ? true : new ForbiddenError();
    }
    return allowed.includes(actor.role) ? true : new ForbiddenError();
  });
}

const superAdmin = roles('superAdmin', [Role.SUPER_ADMIN]);
const signedIn = roles('signedIn', [Role.SUPER_ADMIN, Role.SITE_ADMIN, Role.OPERATOR, Role.CUSTOMER]);
const siteStaff = roles('siteStaff', [Role.SITE_ADMIN, Role.OPERATOR], { inSite: true });
const userCreators = roles('userCreators', [Role.SUPER_ADMIN, Role.SITE_ADMIN]);
const siteAdmin = roles('siteAdmin', [Role.SITE_ADMIN], { inSite: true });
const siteMember = roles('siteMember', [Role.SITE_ADMIN, Role.OPERATOR, Role.CUSTOMER], { inSite: true });
// Customers order for themselves only; nobody orders on a customer's behalf.
const customer = roles('customer', [Role.CUSTOMER], { inSite: true });
// A SUPER_ADMIN reads the platform's own entries (no site) without x-site-id, a site's with it.
const auditReaders = rule('auditReaders', { cache: 'contextual' })((_p: unknown, _a: unknown, ctx: GraphQLContext) => {
  if (!ctx.actor) return new UnauthenticatedError();
  if (ctx.actor.role === Role.SUPER_ADMIN) return true;
  return ctx.siteId && (ctx.actor.role === Role.SITE_ADMIN || ctx.actor.role === Role.OPERATOR) ? true : new ForbiddenError();
});
// Jobs are shared by every site and carry only ids, so SUPER_ADMINs see them without choosing a site.
const jobViewers = roles('jobViewers', [Role.SUPER_ADMIN, Role.SITE_ADMIN, Role.OPERATOR]);

export const permissionRules = {
  Query: {
    me: allow,
    sites: superAdmin,
    auditLog: auditReaders,
    jobStats: jobViewers,
    assets: siteMember,
    wallets: siteStaff,
    walletPoolStats: siteStaff,
    vestingPlans: siteMember,
    // A customer sees only its own orders (services/orders/order-view.ts, visibleOrders).
    order: siteMember,
    orders: siteMember,
    // A customer sees only allocations (and their releases) it is the beneficiary of.
    allocation: siteMember,
    allocations: siteMember,
    releases: siteMember,
    payoutMode: siteStaff,
    webhookEndpoints: siteAdmin,
    webhookDeliveries: siteStaff,
  },
  Mutation: {
    login: allow,
    logout: signedIn,
    createSite: superAdmin,
    createUser: userCreators,
    upsertAsset: siteAdmin,
    generateWallets: siteAdmin,
    importWallet: siteAdmin,
    setWalletStatus: siteAdmin,
    updateSiteSettings: siteAdmin,
    createVestingPlan: siteAdmin,
    createOrder: customer,
    // A customer cancels only its own PENDING order (services/orders/cancel-order.ts).
    cancelOrder: siteMember,
    confirmOrderManually: siteAdmin,
    revokeAllocation: siteAdmin,
    releaseBatch: siteAdmin,
    retryRelease: siteAdmin,
    createWebhookEndpoint: siteAdmin,
    rotateWebhookSecret: siteAdmin,
    setWebhookEndpointActive: siteAdmin,
    redeliverWebhook: siteStaff,
  },
  Subscription: {
    // The order's customer or staff; checked again for every event (services/orders/order-updates.ts).
    orderUpdated: siteMember,
    siteOrderUpdated: siteStaff,
    releaseUpdated: siteStaff,
  },
};

/** The root operation types: every entry into the graph is one of their fields. */
const ROOT_TYPES = ['Query', 'Mutation', 'Subscription'];

export function buildPermissions() {
  return shield(permissionRules, {
    fallbackRule: rule('deny', { cache: 'no_cache' })((_p: unknown, _a: unknown, ctx: GraphQLContext) => refuse(ctx)),
    // Shield routes every error thrown below it (rules and resolvers) here. Resolver errors pass on
    // unchanged to formatError, which maps domain errors and masks everything else; a plain `false`
    // from a rule becomes FORBIDDEN / UNAUTHENTICATED instead of shield's own "Not Authorised!".
    fallbackError: (thrown: unknown, _parent: unknown, _args: unknown, ctx: unknown) =>
      thrown instanceof Error ? thrown : refuse(ctx as GraphQLContext),
    allowExternalErrors: false,
    debug: false,
  });
}

/**
 * Puts the rules in front of every root field, and only there. A field of an object type can only be
 * reached through a root field whose rule passed, so wrapping those too (shield's default) decides
 * nothing and costs a promise per field per row. Deny by default holds: a root field without a rule
 * gets the fallback rule, which refuses everyone.
 */
export function applyPermissions(schema: GraphQLSchema): GraphQLSchema {
  const perField = buildPermissions().generate(schema) as Record<string, IMiddlewareFieldMap>;
  const roots = Object.fromEntries(Object.entries(perField).filter(([type]) => ROOT_TYPES.includes(type)));
  const guarded = applyMiddleware(schema, roots);
  guardSubscribe(guarded, perField.Subscription ?? {});
  return guarded;
}

/**
 * graphql-middleware wraps a subscription field's `resolve` (run per event) but not its `subscribe`
 * when it has both, as type-graphql's fields do: a refused caller would still open the stream. The
 * same rule is put in front of `subscribe`, so the refusal comes when subscribing.
 */
function guardSubscribe(schema: GraphQLSchema, rules: IMiddlewareFieldMap): void {
  for (const [name, field] of Object.entries(schema.getSubscriptionType()?.getFields() ?? {})) {
    const rule = rules[name];
    const subscribe = field.subscribe;
    if (typeof rule !== 'function' || !subscribe) throw new Error(`subscription ${name} has no permission rule or no subscribe`);
    field.subscribe = (parent, args, ctx, info) => rule((p = parent, a = args, c = ctx, i = info) => subscribe(p, a, c, i), parent, args, ctx, info);
  }
}
