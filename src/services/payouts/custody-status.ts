/** What a custody transaction status means for its release (Fireblocks TransactionStatus values). */
export type CustodyOutcome = 'released' | 'failed' | 'pending';

const FAILED = new Set(['FAILED', 'REJECTED', 'CANCELLED', 'BLOCKED', 'TIMEOUT']);

/**
 * COMPLETED pays the release; FAILED, REJECTED, CANCELLED, BLOCKED and TIMEOUT fail it (Fireblocks' final
 * unsuccessful statuses); anything else (SUBMITTED, PENDING_*, QUEUED, BROADCASTING, CONFIRMING, …)
 * is on the way and only recorded.
 */
export function custodyOutcome(status: string): CustodyOutcome {
  const s = status.toUpperCase();
  if (s === 'COMPLETED') return 'released';
  if (FAILED.has(s)) return 'failed';
  return 'pending';
}
