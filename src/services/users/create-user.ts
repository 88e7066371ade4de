import { Role } from '../../entities/role.js';
import { Site } from '../../entities/site.entity.js';
import { User } from '../../entities/user.entity.js';
import { recordAudit } from '../audit/record-audit.js';
import type { Scope } from '../scope.js';
import { hashPassword } from '../auth/password.js';
import { ForbiddenError, InvalidInputError, NotFoundError, UnauthenticatedError, isUniqueViolation } from '../errors.js';
import { isUuid } from '../ids.js';
import { EmailTakenError } from './errors.js';
import { checkPassword, normalizeEmail } from './validate-credentials.js';

export interface CreateUserInput {
  email: string;
  password: string;
  role: Role;
  siteId?: string | null;
}

/** Roles a SITE_ADMIN may hand out in its own site. */
const SITE_ADMIN_GRANTS = new Set([Role.OPERATOR, Role.CUSTOMER]);

/**
 * SUPER_ADMIN creates anyone; SITE_ADMIN creates OPERATOR/CUSTOMER in its own site. A site id the
 * caller may not see reads as a missing site.
 */
export async function createUser(scope: Scope, input: CreateUserInput): Promise<User> {
  const { em, actor } = scope;
  if (!actor) throw new UnauthenticatedError();
  const email = normalizeEmail(input.email);
  checkPassword(input.password);

  let siteId: string | null = null;
  if (input.role === Role.SUPER_ADMIN) {
    if (actor.role !== Role.SUPER_ADMIN) throw new ForbiddenError('Only a SUPER_ADMIN can create a SUPER_ADMIN');
    if (input.siteId) throw new InvalidInputError('A SUPER_ADMIN belongs to no site: leave siteId out', { field: 'siteId' });
  } else {
    if (!input.siteId) throw new InvalidInputError(`siteId is required for ${input.role}`, { field: 'siteId' });
    siteId = input.siteId;
    if (!isUuid(siteId)) throw new NotFoundError('Site');
    if (actor.role === Role.SITE_ADMIN) {
      if (siteId !== actor.siteId) throw new NotFoundError('Site');
      if (!SITE_ADMIN_GRANTS.has(input.role)) throw new ForbiddenError('A SITE_ADMIN can create OPERATOR and CUSTOMER users only');
    } else if (actor.role !== Role.SUPER_ADMIN) {
      throw new ForbiddenError();
    }
    if (!(await em.findOne(Site, { id: siteId }))) throw new NotFoundError('Site');
  }

  const passwordHash = await hashPassword(input.password, scope.deps.config.PASSWORD_SCRYPT_N);
  try {
    return await em.transactional(async (tx) => {
      const user = new User();
      user.email = email;
      user.passwordHash = passwordHash;
      user.role = input.role;
      user.site = siteId ? tx.getReference(Site, siteId) : null;
      tx.persist(user);
      recordAudit(tx, scope, { action: 'user.created', targetType: 'User', targetId: user.id, siteId, details: { email, role: input.role } });
      return user;
    });
  } catch (e) {
    if (isUniqueViolation(e, 'app_user_site_email_unique')) throw new EmailTakenError();
    throw e;
  }
}
