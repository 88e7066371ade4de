import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AssetResolver } from '../resolvers/asset.resolver.js';
import { AuditResolver } from '../resolvers/audit.resolver.js';
import { AuthResolver } from '../resolvers/auth.resolver.js';
import { JobResolver } from '../resolvers/job.resolver.js';
import { OrderResolver } from '../resolvers/order.resolver.js';
import { AllocationResolver } from '../resolvers/allocation.resolver.js';
import { ReleaseResolver } from '../resolvers/release.resolver.js';
import { PayoutResolver } from '../resolvers/payout.resolver.js';
import { WebhookResolver } from '../resolvers/webhook.resolver.js';
import { SiteResolver } from '../resolvers/site.resolver.js';
import { UserResolver } from '../resolvers/user.resolver.js';
import { VestingPlanResolver } from '../resolvers/vesting-plan.resolver.js';
import { WalletResolver } from '../resolvers/wallet.resolver.js';
import { applyPermissions } from './permissions.js';
import { DateTimeScalar } from './scalars/date-time.scalar.js';
import { validateArgs } from './validate-args.js';

/**
 * type-graphql insists on a PubSub once there are subscriptions, but ours each bring their own
 * `subscribe` (they read the process's event bus from the context and authorize every event), so the
 * schema needs none: this one only says so if a subscription ever forgets.
 */
export const noSchemaPubSub = {
  publish(): void {
    throw new Error('publish through deps.events');
  },
  subscribe(): never {
    throw new Error('every @Subscription must pass its own subscribe (see resolvers/order.resolver.ts)');
  },
};

export const resolvers = [AuthResolver, SiteResolver, UserResolver, AuditResolver, JobResolver, AssetResolver, WalletResolver, VestingPlanResolver, OrderResolver, AllocationResolver, ReleaseResolver, PayoutResolver, WebhookResolver] as const;

/** The schema without permissions: what `schema:print` writes to docs/schema.graphql. */
export function buildBareSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validateFn: validateArgs,
    pubSub: noSchemaPubSub,
    emitSchemaFile: false,
  });
}

/** The served schema: every root field behind graphql-shield. */
export async function buildAppSchema(): Promise<GraphQLSchema> {
  return applyPermissions(await buildBareSchema());
}
