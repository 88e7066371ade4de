import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { GraphQLContext } from '../schema/context.js';
import { AuthPayload } from '../schema/users/auth-payload.type.js';
import { UserType, toUserType } from '../schema/users/user.type.js';
import { login, loginSettings } from '../services/auth/login.js';
import { logout } from '../services/auth/sessions.js';
import { userView } from '../services/users/user-view.js';

@Resolver()
export class AuthResolver {
  @Query(() => UserType, { nullable: true, description: 'The caller, or null when not signed in.' })
  me(@Ctx() ctx: GraphQLContext): UserType | null {
    // The row authentication read for this very request: as fresh as a second query, without it.
    return ctx.user ? toUserType(ctx.user) : null;
  }

  @Mutation(() => AuthPayload)
  async login(@Arg('email') email: string, @Arg('password') password: string, @Ctx() ctx: GraphQLContext): Promise<AuthPayload> {
    const result = await login(ctx.em, { email, password, ip: ctx.ip, siteId: ctx.requestedSiteId }, loginSettings(ctx.deps.config));
    return { token: result.token, expiresAt: result.expiresAt, user: toUserType(userView(result.user)) };
  }

  @Mutation(() => Boolean, { description: "End the caller's session: the token stops authenticating at once, over HTTP and graphql-ws." })
  logout(@Ctx() ctx: GraphQLContext): Promise<boolean> {
    return logout(ctx);
  }
}
