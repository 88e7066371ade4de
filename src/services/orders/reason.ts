import { InvalidInputError } from '../errors.js';

const MAX_REASON_LENGTH = 500;

/** A free-text reason for the audit log: trimmed, at most 500 characters, no control characters. */
export function optionalReason(value: string | null | undefined): string | null {
  if (value === undefined || value === null) return null;
  const reason = value.trim();
  if (reason.length > MAX_REASON_LENGTH) throw new InvalidInputError(`reason must be at most ${MAX_REASON_LENGTH} characters`, { field: 'reason' });
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  if (/[\u0000-\u001f\u007f]/.test(reason)) throw new InvalidInputError('reason must not contain control characters', { field: 'reason' });
  return reason || null;
}

export function requiredReason(value: string): string {
  const reason = optionalReason(value);
  if (!reason) throw new InvalidInputError('reason is required', { field: 'reason' });
  return reason;
}
