import { Role } from '../../entities/role.js';
import { User } from '../../entities/user.entity.js';
import { recordAudit } from '../audit/record-audit.js';
import { hashPassword } from '../auth/password.js';
import { revokeUserSessions } from '../auth/sessions.js';
import { ForbiddenError, NotFoundError, UnauthenticatedError } from '../errors.js';
import { isUuid } from '../ids.js';
import type { Scope } from '../scope.js';
import { checkPassword } from './validate-credentials.js';

export interface SetPasswordInput {
  userId: string;
  password: string;
}

/** Roles a SITE_ADMIN may set passwords for in its own site (the ones it may create). */
const SITE_ADMIN_MANAGES = new Set([Role.OPERATOR, Role.CUSTOMER]);

/**
 * Sets a user's password and ends all of its sessions, in one transaction: every token issued with
 * the old password stops working at once (HTTP, graphql-ws, the dashboard cookie), the caller's own
 * included. Anyone may set its own password; a SUPER_ADMIN anybody's; a SITE_ADMIN its site's
 * OPERATORs' and CUSTOMERs'. A user the caller may not see reads as a missing one.
 */
export async function setPassword(scope: Scope, input: SetPasswordInput): Promise<void> {
  const { em, actor } = scope;
  if (!actor) throw new UnauthenticatedError();
  checkPassword(input.password);
  if (!isUuid(input.userId)) throw new NotFoundError('User');
  // SUPER_ADMINs have no site, so the lookup is across sites; visibility is checked right below.
  const user = await em.findOne(User, { id: input.userId }, { filters: false });
  if (!user) throw new NotFoundError('User');
  const siteId = user.site?.id ?? null;
  if (actor.userId !== user.id && actor.role !== Role.SUPER_ADMIN) {
    if (siteId === null || siteId !== actor.siteId) throw new NotFoundError('User');
    if (actor.role !== Role.SITE_ADMIN || !SITE_ADMIN_MANAGES.has(user.role)) throw new ForbiddenError();
  }

  const passwordHash = await hashPassword(input.password, scope.deps.config.PASSWORD_SCRYPT_N);
  await em.transactional(async (tx) => {
    await tx.nativeUpdate(User, { id: user.id }, { passwordHash }, { filters: false });
    await revokeUserSessions(tx, user.id);
    recordAudit(tx, scope, { action: 'user.password_changed', targetType: 'User', targetId: user.id, siteId });
  });
}
