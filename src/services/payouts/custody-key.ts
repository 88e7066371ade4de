/**
 * The key a release's custody transaction goes out under (Fireblocks' externalTxId and the
 * Idempotency-Key, at most 40 characters). Attempt 0 uses the release's own externalTxId
 * (`vl-rel-<32 hex>`, 39 characters). Fireblocks refuses a used externalTxId forever, also after that
 * transaction FAILED, so a release paid again after retryRelease needs a key of its own per attempt:
 * `vl-r<n>-<32 hex>` (38 to 40 characters). Every key names its release and attempt, so an event or a
 * lookup of an earlier attempt can never be taken for the current one. Pure.
 */

/** retryRelease refuses beyond this: the key would not fit in 40 characters. */
export const MAX_CUSTODY_ATTEMPT = 999;

const KEY = /^vl-(?:rel|r([1-9]\d{0,2}))-([0-9a-f]{32})$/;

export function custodyKey(externalTxId: string, attempt: number): string {
  if (attempt === 0) return externalTxId;
  const m = KEY.exec(externalTxId);
  if (!m || m[1] !== undefined) throw new Error(`not a release externalTxId: ${externalTxId}`);
  if (!Number.isInteger(attempt) || attempt < 0 || attempt > MAX_CUSTODY_ATTEMPT) throw new Error(`custody attempt out of range: ${attempt}`);
  return `vl-r${attempt}-${m[2]}`;
}

/** The release externalTxId and attempt a custody key names, or null for a key that is not ours. */
export function parseCustodyKey(key: string): { externalTxId: string; attempt: number } | null {
  const m = KEY.exec(key);
  if (!m) return null;
  return { externalTxId: `vl-rel-${m[2]}`, attempt: m[1] === undefined ? 0 : Number(m[1]) };
}
