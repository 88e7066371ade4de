import type { EntityManager } from '@mikro-orm/postgresql';
import { User } from '../../entities/user.entity.js';

/**
 * A user by id across sites, for ids the caller already holds legitimately: its own (me) or an audit
 * entry's actor, which may be a SUPER_ADMIN with no site (the entry itself was read inside the
 * caller's site). Repeated ids within a request come from the identity map.
 */
export function findUserById(em: EntityManager, id: string): Promise<User | null> {
  return em.findOne(User, { id }, { filters: false });
}
