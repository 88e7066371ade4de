import { Arg, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import { User } from '../entities/user.entity.js';
import type { GraphQLContext } from '../schema/context.js';
import { AuthPayload } from '../schema/users/auth-payload.type.js';
import { UserType, toUserType } from '../schema/users/user.type.js';
import { login } from '../services/auth/login.js';

@Resolver()
export class AuthResolver {
  @Query(() => UserType, { nullable: true, description: 'The caller, or null when not signed in.' })
  async me(@Ctx() ctx: GraphQLContext): Promise<UserType | null> {
    if (!ctx.actor) return null;
    const user = await ctx.em.findOne(User, { id: ctx.actor.userId }, { filters: false });
    return user ? toUserType(user) : null;
  }

  @Mutation(() => AuthPayload)
  async login(@Arg('email') email: string, @Arg('password') password: string, @Ctx() ctx: GraphQLContext): Promise<AuthPayload> {
    const c = ctx.deps.config;
    const result = await login(
      ctx.em,
      { email, password, ip: ctx.ip, siteId: ctx.requestedSiteId },
      {
        jwtSecret: c.JWT_SECRET,
        jwtTtlSeconds: c.JWT_TTL_SECONDS,
        maxFailures: c.LOGIN_MAX_FAILURES,
        windowSeconds: c.LOGIN_WINDOW_SECONDS,
        scryptN: c.PASSWORD_SCRYPT_N,
      },
    );
    return { token: result.token, expiresAt: result.expiresAt, user: toUserType(result.user) };
  }
}
