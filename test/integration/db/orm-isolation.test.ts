import 'reflect-metadata';
import { AuditEntry, Role, Site, User } from '../../../src/entities/index.js';
import { SITE_FILTER } from '../../../src/entities/site-scope.js';
import { connectOrm, migrate, type Orm } from '../../../src/db/orm.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

let db: TestDatabase;
let orm: Orm;
let siteA: Site;
let siteB: Site;
let userB: User;

beforeAll(async () => {
  db = await createTestDatabase();
  orm = await connectOrm(db.url, 5);
  await migrate(orm);
  const em = orm.em.fork();
  siteA = Object.assign(new Site(), { slug: 'orm-a', name: 'A' });
  siteB = Object.assign(new Site(), { slug: 'orm-b', name: 'B' });
  const userA = Object.assign(new User(), { email: 'a@orm.test', passwordHash: 'x', role: Role.CUSTOMER, site: siteA });
  userB = Object.assign(new User(), { email: 'b@orm.test', passwordHash: 'x', role: Role.CUSTOMER, site: siteB });
  em.persist([siteA, siteB, userA, userB]);
  await em.flush();
});
afterAll(async () => {
  await orm.close(true);
  await db.drop();
});

describe('the site filter at the ORM level', () => {
  it("makes another site's row look missing when loaded by id", async () => {
    const em = orm.em.fork();
    em.setFilterParams(SITE_FILTER, { siteId: siteA.id });
    expect(await em.findOne(User, { id: userB.id })).toBeNull();
    expect((await em.find(User, {})).map((u) => u.email)).toEqual(['a@orm.test']);
    expect(await em.count(User, {})).toBe(1);
  });

  it('matches no row at all when the caller has no site', async () => {
    const em = orm.em.fork();
    em.setFilterParams(SITE_FILTER, { siteId: null });
    expect(await em.find(User, {})).toEqual([]);
    expect(await em.find(AuditEntry, {})).toEqual([]);
  });

  it('fails closed (an error, never every site) when nobody set the filter parameters', async () => {
    const em = orm.em.fork();
    await expect(em.find(User, {})).rejects.toThrow(/No arguments provided for filter 'site'/);
  });

  it('sees across sites only where code turns the filter off by name', async () => {
    const em = orm.em.fork();
    expect(await em.count(User, {}, { filters: false })).toBe(2);
  });

  it('keeps the schema in the migrations identical to the entities', async () => {
    const diff = await orm.schema.getUpdateSchemaSQL({ wrap: false });
    expect(diff.trim()).toBe('');
  });
});
