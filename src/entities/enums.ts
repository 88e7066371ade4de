export enum Network {
  ETHEREUM = 'ETHEREUM',
  TRON = 'TRON',
}

export enum AssetPurpose {
  PAYMENT = 'PAYMENT',
  DISTRIBUTION = 'DISTRIBUTION',
}

export enum WalletStatus {
  AVAILABLE = 'AVAILABLE',
  ALLOCATED = 'ALLOCATED',
  COOLING_DOWN = 'COOLING_DOWN',
  DISABLED = 'DISABLED',
}

export enum OrderStatus {
  PENDING = 'PENDING',
  CONFIRMING = 'CONFIRMING',
  PAID = 'PAID',
  UNDERPAID = 'UNDERPAID',
  EXPIRED = 'EXPIRED',
  CANCELLED = 'CANCELLED',
}

/** Orders in these states hold their wallet and are credited with the transfers it receives. */
export const OPEN_ORDER_STATUSES = [OrderStatus.PENDING, OrderStatus.CONFIRMING] as const;

export enum TransferStatus {
  /** Seen on chain, fewer confirmations than the asset requires. */
  UNCONFIRMED = 'UNCONFIRMED',
  CONFIRMED = 'CONFIRMED',
  /** Its block left the canonical chain before it was confirmed: never counted. */
  REORGED = 'REORGED',
}

export enum AllocationStatus {
  ACTIVE = 'ACTIVE',
  COMPLETED = 'COMPLETED',
  REVOKED = 'REVOKED',
}

export enum ReleaseStatus {
  LOCKED = 'LOCKED',
  UNLOCKED = 'UNLOCKED',
  PROCESSING = 'PROCESSING',
  RELEASED = 'RELEASED',
  FAILED = 'FAILED',
  /** Dropped by revokeAllocation before it was paid out. Kept for the record, never shown by the API. */
  CANCELLED = 'CANCELLED',
}

export enum WebhookDeliveryStatus {
  PENDING = 'PENDING',
  DELIVERED = 'DELIVERED',
  FAILED = 'FAILED',
}

/** A customer e-mail: SKIPPED when the e-mail channel is off (no SMTP_URL) when it comes due. */
export enum EmailDeliveryStatus {
  PENDING = 'PENDING',
  SENT = 'SENT',
  FAILED = 'FAILED',
  SKIPPED = 'SKIPPED',
}
