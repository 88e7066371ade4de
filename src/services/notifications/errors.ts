import { DomainError } from '../errors.js';

export enum NotificationErrorCode {
  WEBHOOK_TARGET_REFUSED = 'WEBHOOK_TARGET_REFUSED',
}

/** A webhook URL we will not call: not HTTPS in production, or it resolves to a private or metadata address. */
export class WebhookTargetRefusedError extends DomainError {
  readonly reason = NotificationErrorCode.WEBHOOK_TARGET_REFUSED;
  constructor(detail: string) {
    super(`This webhook URL is refused: ${detail}`, { field: 'url' });
  }
}
