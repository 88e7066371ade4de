import { OrderStatus } from '../../entities/enums.js';

/** What the chain shows for an order: sums of its credited transfers (reorged ones left out). */
export interface PaymentTotals {
  /** Every credited transfer, confirmed or not. */
  received: bigint;
  /** Those with the required confirmations. */
  confirmed: bigint;
  /** Fewest confirmations among the credited transfers, 0 when none. */
  confirmations: number;
}

/**
 * The status an open order moves to for what the chain shows (domain.md, Order and Payment matching):
 * PAID once the confirmed amount reaches the expected one; CONFIRMING once anything arrived. Never
 * backwards: a reorg that takes a transfer away leaves a CONFIRMING order CONFIRMING (the expiry job
 * ends it as UNDERPAID if nothing else comes). Orders that are not open are left as they are.
 */
export function paymentStatus(status: OrderStatus, expected: bigint, totals: PaymentTotals): OrderStatus {
  if (status !== OrderStatus.PENDING && status !== OrderStatus.CONFIRMING) return status;
  if (totals.confirmed >= expected) return OrderStatus.PAID;
  if (totals.received > 0n) return OrderStatus.CONFIRMING;
  return status;
}

/** Confirmations of a transfer in `block` when the chain's head is `head` (the block itself counts as one). */
export function confirmationsAt(head: number, block: number): number {
  return head >= block ? head - block + 1 : 0;
}
