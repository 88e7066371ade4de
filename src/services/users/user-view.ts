import type { Role } from '../../entities/role.js';
import type { User } from '../../entities/user.entity.js';

/** A user as the API may show it (plain data, never the password hash). */
export interface UserView {
  id: string;
  email: string;
  role: Role;
  siteId: string | null;
  createdAt: Date;
}

export function userView(u: User): UserView {
  return { id: u.id, email: u.email, role: u.role, siteId: u.site?.id ?? null, createdAt: u.createdAt };
}
