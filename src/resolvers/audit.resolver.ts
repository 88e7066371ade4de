import { Arg, Ctx, FieldResolver, Int, Query, Resolver, Root } from 'type-graphql';
import { AuditEntryConnection, AuditEntryType, toAuditEntryType } from '../schema/audit/audit-entry.type.js';
import type { GraphQLContext } from '../schema/context.js';
import { UserType, toUserType } from '../schema/users/user.type.js';
import { listAuditLog } from '../services/audit/list-audit-log.js';
import { findUserById } from '../services/users/find-user.js';
import { encodeCursor } from '../services/pagination.js';

@Resolver(() => AuditEntryType)
export class AuditResolver {
  @Query(() => AuditEntryConnection)
  async auditLog(
    @Ctx() ctx: GraphQLContext,
    @Arg('action', () => String, { nullable: true }) action?: string | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<AuditEntryConnection> {
    const page = await listAuditLog(ctx.em, ctx, { action, first: first ?? 50, after });
    return {
      edges: page.items.map((e) => ({ node: toAuditEntryType(e), cursor: encodeCursor({ at: e.at, id: e.id }) })),
      pageInfo: { hasNextPage: page.hasNextPage, endCursor: page.endCursor },
      totalCount: page.totalCount,
    };
  }

  @FieldResolver(() => UserType, { nullable: true })
  async actor(@Root() entry: AuditEntryType, @Ctx() ctx: GraphQLContext): Promise<UserType | null> {
    if (!entry.actorId) return null;
    const user = await findUserById(ctx.em, entry.actorId);
    return user ? toUserType(user) : null;
  }
}
