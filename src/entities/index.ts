import { AuditEntry } from './audit-entry.entity.js';
import { RateLimitBucket } from './rate-limit-bucket.entity.js';
import { Site } from './site.entity.js';
import { User } from './user.entity.js';

export { AuditEntry, RateLimitBucket, Site, User };
export { Role } from './role.js';

export const entities = [Site, User, AuditEntry, RateLimitBucket];
