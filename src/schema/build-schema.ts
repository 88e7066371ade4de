import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AssetResolver } from '../resolvers/asset.resolver.js';
import { AuditResolver } from '../resolvers/audit.resolver.js';
import { AuthResolver } from '../resolvers/auth.resolver.js';
import { JobResolver } from '../resolvers/job.resolver.js';
import { SiteResolver } from '../resolvers/site.resolver.js';
import { UserResolver } from '../resolvers/user.resolver.js';
import { VestingPlanResolver } from '../resolvers/vesting-plan.resolver.js';
import { WalletResolver } from '../resolvers/wallet.resolver.js';
import { applyPermissions } from './permissions.js';
import { DateTimeScalar } from './scalars/date-time.scalar.js';

export const resolvers = [AuthResolver, SiteResolver, UserResolver, AuditResolver, JobResolver, AssetResolver, WalletResolver, VestingPlanResolver] as const;

/** The schema without permissions: what `schema:print` writes to docs/schema.graphql. */
export function buildBareSchema(): Promise<GraphQLSchema> {
  return buildSchema({
    resolvers,
    scalarsMap: [{ type: Date, scalar: DateTimeScalar }],
    validate: { forbidUnknownValues: false },
    emitSchemaFile: false,
  });
}

/** The served schema: every root field behind graphql-shield. */
export async function buildAppSchema(): Promise<GraphQLSchema> {
  return applyPermissions(await buildBareSchema());
}
