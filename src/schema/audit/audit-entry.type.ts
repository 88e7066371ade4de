import { Field, ID, ObjectType } from 'type-graphql';
import type { AuditView } from '../../services/audit/list-audit-log.js';
import { connectionType } from '../common/connection.js';
import { DateTimeScalar } from '../scalars/date-time.scalar.js';
import { UserType, toUserType } from '../users/user.type.js';

@ObjectType('AuditEntry', { simpleResolvers: true })
export class AuditEntryType {
  @Field(() => ID)
  id!: string;

  @Field()
  action!: string;

  @Field(() => UserType, { nullable: true, description: 'Who did it; null for the system, and for platform operators when a site user reads.' })
  actor!: UserType | null;

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

}

export const AuditEntryConnection = connectionType(AuditEntryType, 'AuditEntry');

export function toAuditEntryType(e: AuditView): AuditEntryType {
  return {
    id: e.id,
    action: e.action,
    actor: e.actor ? toUserType(e.actor) : null,
    targetType: e.targetType,
    targetId: e.targetId,
    details: JSON.stringify(e.details),
    ip: e.ip,
    at: e.at,
  };
}
