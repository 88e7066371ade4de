import type { GraphQLContext } from '../schema/context.js';
import { ForbiddenError } from '../services/errors.js';

/** The site the caller acts in; the permission rules already demand one, this makes the type say so. */
export function requireSite(ctx: GraphQLContext): string {
  if (!ctx.siteId) throw new ForbiddenError('Choose a site (x-site-id) for this operation');
  return ctx.siteId;
}
