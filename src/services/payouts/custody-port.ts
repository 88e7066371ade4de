/**
 * What payouts need from a custody provider (Fireblocks): send tokens, and look a transaction up by the
 * idempotency key we gave it. Two adapters: fireblocks-live.ts (@fireblocks/ts-sdk) and the in-process
 * simulator of mock-custody.ts; config.PAYOUT_MODE chooses.
 */
export interface PayoutRequest {
  /** Our stable, release-derived key (<= 40 chars): Fireblocks' externalTxId and the Idempotency-Key. */
  externalTxId: string;
  /** The DISTRIBUTION asset's custody id, e.g. USDT_ERC20. */
  custodyAssetId: string;
  /** Whole units as a plain decimal string (from base units, exact). */
  amount: string;
  destinationAddress: string;
  /** Free text shown in the custody console. */
  note?: string;
}

/** A custody transaction as Fireblocks reports it (v1 TransactionResponse fields we use). */
export interface CustodyTransaction {
  id: string;
  externalTxId: string | null;
  /** Fireblocks TransactionStatus, e.g. SUBMITTED, CONFIRMING, COMPLETED, FAILED, REJECTED, CANCELLED, BLOCKED. */
  status: string;
  subStatus: string | null;
  txHash: string | null;
}

/** The provider answered, and said no (4xx but 429): nothing was created. */
export class CustodyRefusedError extends Error {}

/** No usable answer (timeout, 429, 5xx, network): the transaction may or may not exist; look it up later. */
export class CustodyUnavailableError extends Error {
  /** The HTTP status custody answered with, when it answered (429: rate limited). */
  readonly status?: number;
  constructor(message: string, opts: { status?: number; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.status = opts.status;
  }
}

export interface CustodyPort {
  readonly mode: 'MOCK' | 'LIVE';
  /** Creates the transaction. Throws CustodyRefusedError or CustodyUnavailableError; never retries blindly. */
  submit(request: PayoutRequest, signal: AbortSignal): Promise<{ id: string; status: string }>;
  /** The transaction created with this externalTxId, or null when custody has none. */
  lookup(externalTxId: string, signal: AbortSignal): Promise<CustodyTransaction | null>;
  close(): Promise<void>;
}
