import { registerEnumType } from 'type-graphql';
import { Role } from '../../entities/role.js';

registerEnumType(Role, { name: 'Role' });

export { Role };
