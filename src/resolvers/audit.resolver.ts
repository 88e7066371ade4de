import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, Info, Int, Query, Resolver } from 'type-graphql';
import { AuditEntryConnection, AuditEntryType, toAuditEntryType } from '../schema/audit/audit-entry.type.js';
import { toConnection, wantsTotal, type Connection } from '../schema/common/connection.js';
import type { GraphQLContext } from '../schema/context.js';
import { listAuditLog } from '../services/audit/list-audit-log.js';

@Resolver(() => AuditEntryType)
export class AuditResolver {
  @Query(() => AuditEntryConnection)
  async auditLog(
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('action', () => String, { nullable: true }) action?: string | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<Connection<AuditEntryType>> {
    const page = await listAuditLog(ctx, { action, first: first ?? 50, after, withTotal: wantsTotal(info) });
    return toConnection(page, toAuditEntryType);
  }
}
