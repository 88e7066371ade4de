import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Ctx, ID, Info, Int, Mutation, Query, Resolver } from 'type-graphql';
import { toConnection, wantsTotal, type Connection } from '../schema/common/connection.js';
import type { GraphQLContext } from '../schema/context.js';
import {
  WebhookDeliveryConnection,
  WebhookDeliveryStatus,
  WebhookDeliveryType,
  WebhookEndpointSecretType,
  WebhookEndpointType,
  toDeliveryType,
  toEndpointType,
} from '../schema/notifications/webhook.type.js';
import { listDeliveries, redeliverWebhook } from '../services/notifications/deliveries.js';
import { createWebhookEndpoint, listWebhookEndpoints, rotateWebhookSecret, setWebhookEndpointActive } from '../services/notifications/endpoints.js';

@Resolver()
export class WebhookResolver {
  @Query(() => [WebhookEndpointType])
  async webhookEndpoints(@Ctx() ctx: GraphQLContext): Promise<WebhookEndpointType[]> {
    return (await listWebhookEndpoints(ctx)).map(toEndpointType);
  }

  @Query(() => WebhookDeliveryConnection)
  async webhookDeliveries(
    @Ctx() ctx: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
    @Arg('endpointId', () => ID, { nullable: true }) endpointId?: string | null,
    @Arg('status', () => [WebhookDeliveryStatus], { nullable: true }) status?: WebhookDeliveryStatus[] | null,
    @Arg('first', () => Int, { nullable: true, defaultValue: 50 }) first?: number | null,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<Connection<WebhookDeliveryType>> {
    return toConnection(await listDeliveries(ctx, { endpointId, status, first: first ?? 50, after, withTotal: wantsTotal(info) }), toDeliveryType);
  }

  @Mutation(() => WebhookEndpointSecretType)
  async createWebhookEndpoint(@Arg('url') url: string, @Ctx() ctx: GraphQLContext, @Arg('events', () => [String], { nullable: true }) events?: string[] | null): Promise<WebhookEndpointSecretType> {
    const r = await createWebhookEndpoint(ctx, { url, events });
    return { endpoint: toEndpointType(r.endpoint), secret: r.secret };
  }

  @Mutation(() => WebhookEndpointSecretType, { description: 'New secret; the old one keeps signing beside it for 24 hours so receivers can switch.' })
  async rotateWebhookSecret(@Arg('id', () => ID) id: string, @Ctx() ctx: GraphQLContext): Promise<WebhookEndpointSecretType> {
    const r = await rotateWebhookSecret(ctx, { id });
    return { endpoint: toEndpointType(r.endpoint), secret: r.secret };
  }

  @Mutation(() => WebhookEndpointType)
  async setWebhookEndpointActive(@Arg('id', () => ID) id: string, @Arg('active') active: boolean, @Ctx() ctx: GraphQLContext): Promise<WebhookEndpointType> {
    return toEndpointType(await setWebhookEndpointActive(ctx, { id, active }));
  }

  @Mutation(() => WebhookDeliveryType, { description: 'Send a delivery again now (same event id), whatever its status.' })
  async redeliverWebhook(@Arg('deliveryId', () => ID) deliveryId: string, @Ctx() ctx: GraphQLContext): Promise<WebhookDeliveryType> {
    return toDeliveryType(await redeliverWebhook(ctx, { id: deliveryId }));
  }
}
