import { statementsDuring } from '../../support/count-queries.js';
import { createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';

/**
 * A list costs a fixed number of queries whatever its length: actors come with the page, their sites
 * through one batched load. Counted at the pg driver, on an API-only process (no job runs).
 */
describe('queries per list page', () => {
  let t: TestApp;
  let site: SiteFixture;
  beforeAll(async () => {
    t = await startTestApp({}, { argv: ['--role=api'] });
    site = await createSiteFixture(t, 'n-plus-one');
    // 60 audit entries by 60 different actors of the site.
    const conn = t.app.db.orm.em.fork().getConnection();
    await conn.execute(
      `with u as (
         insert into app_user (id, site_id, email, password_hash, role, created_at)
         select gen_random_uuid(), ?, 'actor' || g || '@n-plus-one.test', 'x', 'OPERATOR', now() from generate_series(1, 60) g
         returning id
       )
       insert into audit_entry (id, site_id, actor_id, action, target_type, target_id, details, at)
       select gen_random_uuid(), ?, u.id, 'test.acted', 'Test', u.id::text, '{}', clock_timestamp() from u`,
      [site.siteId, site.siteId],
    );
  });
  afterAll(() => t.stop());

  async function queriesFor(query: string): Promise<{ queries: number; errors: unknown }> {
    let errors: unknown;
    const sql = await statementsDuring(t.app, async () => {
      errors = (await t.gql(query, {}, { token: site.adminToken })).errors;
    });
    return { queries: sql.length, errors };
  }

  const page = (n: number, total = false) => `{ auditLog(first: ${n}) { ${total ? 'totalCount ' : ''}edges { node { action actor { email site { slug } } } } } }`;

  it('costs the same for 5 and for 50 entries with their actors and sites', async () => {
    const five = await queriesFor(page(5));
    const fifty = await queriesFor(page(50));
    expect(five.errors).toBeUndefined();
    expect(fifty.errors).toBeUndefined();
    expect(fifty.queries).toBe(five.queries);
    // authentication, the page, its actors, their sites (and the spy does see them)
    expect(fifty.queries).toBeGreaterThanOrEqual(3);
    expect(fifty.queries).toBeLessThanOrEqual(4);
  });

  it('counts the total only when it is selected', async () => {
    const without = await queriesFor(page(50));
    const withTotal = await queriesFor(page(50, true));
    expect(withTotal.queries).toBe(without.queries + 1);
  });
});
