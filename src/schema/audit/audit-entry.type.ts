import { Field, ID, Int, ObjectType } from 'type-graphql';
import type { AuditEntry } from '../../entities/audit-entry.entity.js';
import { PageInfo } from '../common/page-info.type.js';
import { DateTimeScalar } from '../scalars/date-time.scalar.js';
import { UserType } from '../users/user.type.js';

@ObjectType('AuditEntry')
export class AuditEntryType {
  @Field(() => ID)
  id!: string;

  @Field()
  action!: string;

  /** Resolved by AuditEntryResolver.actor from actorId. */
  @Field(() => UserType, { nullable: true })
  actor?: UserType | null;

  @Field()
  targetType!: string;

  @Field()
  targetId!: string;

  @Field({ description: "JSON text with the action's details; never contains secrets or private keys." })
  details!: string;

  @Field(() => String, { nullable: true })
  ip!: string | null;

  @Field(() => DateTimeScalar)
  at!: Date;

  actorId!: string | null;
}

@ObjectType()
export class AuditEntryEdge {
  @Field(() => AuditEntryType)
  node!: AuditEntryType;

  @Field()
  cursor!: string;
}

@ObjectType()
export class AuditEntryConnection {
  @Field(() => [AuditEntryEdge])
  edges!: AuditEntryEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;

  @Field(() => Int, { description: 'Entries matching the filter, across all pages.' })
  totalCount!: number;
}

export function toAuditEntryType(e: AuditEntry): AuditEntryType {
  return {
    id: e.id,
    action: e.action,
    targetType: e.targetType,
    targetId: e.targetId,
    details: JSON.stringify(e.details),
    ip: e.ip,
    at: e.at,
    actorId: e.actor?.id ?? null,
  };
}
