import { randomBytes } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import { Role } from '../../entities/role.js';
import { User } from '../../entities/user.entity.js';
import { recordAudit } from '../audit/record-audit.js';
import { hashPassword } from '../auth/password.js';
import { isUniqueViolation } from '../errors.js';
import { normalizeEmail } from './validate-credentials.js';

export interface BootstrapResult {
  email: string;
  /** Set only when the password was generated here, to be shown once. */
  generatedPassword?: string;
}

/**
 * Creates the first SUPER_ADMIN when there is none. Safe when several processes start at once: the
 * unique index lets one win and the others see the conflict and do nothing.
 */
export async function bootstrapAdmin(
  em: EntityManager,
  opts: { email?: string; password?: string; allowGenerated: boolean; scryptN: number },
): Promise<BootstrapResult | null> {
  if (!opts.email) return null;
  if ((await em.count(User, { role: Role.SUPER_ADMIN }, { filters: false })) > 0) return null;
  if (!opts.password && !opts.allowGenerated) return null;
  const email = normalizeEmail(opts.email);
  const generatedPassword = opts.password ? undefined : randomBytes(12).toString('base64url');
  const passwordHash = await hashPassword(opts.password ?? generatedPassword!, opts.scryptN);
  try {
    await em.transactional(async (tx) => {
      const user = new User();
      user.email = email;
      user.passwordHash = passwordHash;
      user.role = Role.SUPER_ADMIN;
      tx.persist(user);
      recordAudit(tx, { actor: null, siteId: null, ip: null }, { action: 'user.bootstrapped', targetType: 'User', targetId: user.id, details: { email } });
    });
  } catch (e) {
    if (isUniqueViolation(e)) return null;
    throw e;
  }
  return { email, generatedPassword };
}
