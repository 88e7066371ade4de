import { DomainError } from '../errors.js';

export enum OrderErrorCode {
  /** The site cannot take this order now (no price, no active payment asset): CONFLICT, not bad input. */
  SALE_NOT_OPEN = 'SALE_NOT_OPEN',
  ORDER_STATUS_CONFLICT = 'ORDER_STATUS_CONFLICT',
  IDEMPOTENCY_KEY_REUSED = 'IDEMPOTENCY_KEY_REUSED',
}

export class SaleNotOpenError extends DomainError {
  readonly reason = OrderErrorCode.SALE_NOT_OPEN;
}

export class OrderStatusConflictError extends DomainError {
  readonly reason = OrderErrorCode.ORDER_STATUS_CONFLICT;
  constructor(action: string, status: string) {
    super(`Cannot ${action} an order that is ${status}`, { status });
  }
}

export class IdempotencyKeyReusedError extends DomainError {
  readonly reason = OrderErrorCode.IDEMPOTENCY_KEY_REUSED;
  constructor() {
    super('This Idempotency-Key was already used with a different request in the last 24 hours: send a new key for a new order');
  }
}
