/** Every event merchants can receive (domain.md, Merchant notifications). */
export const EVENT_TYPES = [
  'order.created',
  'order.confirming',
  'order.paid',
  'order.underpaid',
  'order.expired',
  'order.cancelled',
  'order.late_payment',
  'allocation.created',
  'release.unlocked',
  'release.released',
  'release.failed',
  'allocation.completed',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export const isEventType = (v: string): v is EventType => (EVENT_TYPES as readonly string[]).includes(v);
