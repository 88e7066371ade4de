import 'reflect-metadata';
import { graphql } from 'graphql';
import { Field, ObjectType, Query, Resolver, buildSchema } from 'type-graphql';
import { Role } from '../../../src/entities/role.js';
import { noSchemaPubSub, resolvers } from '../../../src/schema/build-schema.js';
import { applyPermissions } from '../../../src/schema/permissions.js';
import { DateTimeScalar } from '../../../src/schema/scalars/date-time.scalar.js';

@ObjectType()
class Unlisted {
  @Field()
  secret!: string;
}

@Resolver()
class UnlistedResolver {
  static calls = 0;

  @Query(() => Unlisted)
  unlisted(): Unlisted {
    UnlistedResolver.calls++;
    return { secret: 'should never be seen' };
  }
}

describe('permissions fallback', () => {
  it('refuses a field that has no rule, for every caller, without running its resolver', async () => {
    const schema = applyPermissions(await buildSchema({ resolvers: [...resolvers, UnlistedResolver], scalarsMap: [{ type: Date, scalar: DateTimeScalar }], validate: false, pubSub: noSchemaPubSub }));
    const anonymous = await graphql({ schema, source: '{ unlisted { secret } }', contextValue: { actor: null, siteId: null } });
    expect(anonymous.errors?.[0]?.originalError?.constructor.name).toBe('UnauthenticatedError');
    const superAdmin = await graphql({
      schema,
      source: '{ unlisted { secret } }',
      contextValue: { actor: { userId: 'u', email: 'a@b.c', role: Role.SUPER_ADMIN, siteId: null }, siteId: null },
    });
    expect(superAdmin.errors?.[0]?.originalError?.constructor.name).toBe('ForbiddenError');
    expect(JSON.stringify(superAdmin)).not.toContain('should never be seen');
    expect(UnlistedResolver.calls).toBe(0);
  });
});
