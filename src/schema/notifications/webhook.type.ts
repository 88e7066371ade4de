import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { WebhookDeliveryStatus } from '../../entities/enums.js';
import type { DeliveryView } from '../../services/notifications/deliveries.js';
import type { EndpointView } from '../../services/notifications/endpoints.js';
import { connectionType } from '../common/connection.js';
import { DateTimeScalar } from '../scalars/date-time.scalar.js';

registerEnumType(WebhookDeliveryStatus, { name: 'WebhookDeliveryStatus' });
export { WebhookDeliveryStatus };

@ObjectType('WebhookEndpoint', { simpleResolvers: true, description: "A merchant's HTTPS endpoint that receives signed event notifications (Standard Webhooks format)." })
export class WebhookEndpointType {
  @Field(() => ID)
  id!: string;

  @Field()
  url!: string;

  @Field(() => [String], { description: 'Event types sent here, e.g. order.paid; empty means all.' })
  events!: string[];

  @Field()
  active!: boolean;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

@ObjectType('WebhookEndpointSecret', { simpleResolvers: true, description: 'Returned once when an endpoint is created or its secret rotated; the secret is never shown again.' })
export class WebhookEndpointSecretType {
  @Field(() => WebhookEndpointType)
  endpoint!: WebhookEndpointType;

  @Field()
  secret!: string;
}

@ObjectType('WebhookDelivery', { simpleResolvers: true })
export class WebhookDeliveryType {
  @Field(() => ID)
  id!: string;

  @Field(() => WebhookEndpointType)
  endpoint!: WebhookEndpointType;

  @Field({ description: 'Stable event id, the same on every attempt (webhook-id header).' })
  eventId!: string;

  @Field()
  eventType!: string;

  @Field(() => WebhookDeliveryStatus)
  status!: WebhookDeliveryStatus;

  @Field(() => Int)
  attempts!: number;

  @Field(() => Int, { nullable: true })
  lastStatusCode!: number | null;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  nextAttemptAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  deliveredAt!: Date | null;

  @Field(() => DateTimeScalar)
  createdAt!: Date;
}

export const WebhookDeliveryConnection = connectionType(WebhookDeliveryType, 'WebhookDelivery');

export const toEndpointType = (e: EndpointView): WebhookEndpointType => ({ ...e });
export const toDeliveryType = (d: DeliveryView): WebhookDeliveryType => ({ ...d, endpoint: toEndpointType(d.endpoint) });
