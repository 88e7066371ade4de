import { readFileSync } from 'node:fs';
import { analyzeSource, checkTree, entityTables, hasSiteCondition, tablesIn } from '../../../scripts/check-raw-sql.js';

const SITE_TABLES = ['wallet', 'asset', 'app_user', 'audit_entry', 'wallet_balance_snapshot'];
const check = (source: string) => analyzeSource('src/x.ts', source, SITE_TABLES);
const one = (source: string) => {
  const found = check(source);
  expect(found).toHaveLength(1);
  return found[0]!;
};

describe('check-raw-sql: judging one statement', () => {
  it('passes a statement on a site-owned table that carries site_id', () => {
    const s = one("export const f = (em) => em.execute('select id from wallet where site_id = ? and id = ?', [a, b]);");
    expect(s).toMatchObject({ status: 'site-condition', siteTables: ['wallet'], hasSiteCondition: true, line: 1, kind: 'execute' });
    expect(s.warning).toBeUndefined();
  });

  it('fails one without site_id, naming file, line and table', () => {
    const s = one('const x = 1;\n\nasync function f(em) {\n  return em.execute(`update wallet set status = ? where id = ?`, [s, id]);\n}\n');
    expect(s).toMatchObject({ status: 'fail', file: 'src/x.ts', line: 4, siteTables: ['wallet'] });
    expect(s.problem).toMatch(/no site_id/);
  });

  it('passes one with an `// all-sites:` comment above the SQL string inside the call', () => {
    const s = one("em.execute(\n  // all-sites: the job frees every site's wallets\n  `update wallet set status = 'AVAILABLE' where status = 'COOLING_DOWN'`,\n  [],\n);");
    expect(s).toMatchObject({ status: 'all-sites', allSites: "the job frees every site's wallets" });
  });

  it('passes one with the comment directly above the statement, but not one separated by a blank line or without a reason', () => {
    expect(one('// all-sites: key rotation covers every wallet\nconst [{ max }] = (await em.execute(`select max(key_version) as max from wallet`)) as [{ max: number }];').status).toBe('all-sites');
    expect(one('// all-sites: stale\n\nawait em.execute(`select 1 from wallet`);').status).toBe('fail');
    expect(one('// all-sites:\nawait em.execute(`select 1 from wallet`);')).toMatchObject({ status: 'fail', problem: expect.stringMatching(/no reason/) });
    // An ordinary comment is no exemption.
    expect(one('// every site\nawait em.execute(`select 1 from wallet`);').status).toBe('fail');
  });

  it('passes a statement on a table that belongs to no site', () => {
    const s = one("await em.execute(`delete from rate_limit_bucket where expires_at <= now()`, [], 'run');");
    expect(s).toMatchObject({ status: 'no-site-table', tables: ['rate_limit_bucket'], siteTables: [] });
    expect(one("await pool.query('select 1')").status).toBe('no-site-table');
  });

  it('treats an interpolated table name as site-owned and accepts the transition helper, which always adds site_id', () => {
    const [s] = analyzeSource('src/services/db/transition.ts', readFileSync('src/services/db/transition.ts', 'utf8'), SITE_TABLES).filter((x) => x.kind === 'execute');
    expect(s).toMatchObject({ status: 'site-condition', siteTables: ['${dynamic}'], hasSiteCondition: true });
    expect(one('await em.execute(`update ${table} set status = ? where id = ?`, [a, b]);')).toMatchObject({ status: 'fail', siteTables: ['${dynamic}'] });
  });

  it('reads constants, concatenations and conditional parts, and fails SQL it cannot read', () => {
    expect(one("const SQL = 'select * from asset where site_id = ?';\nawait em.execute(SQL, [s]);")).toMatchObject({ status: 'site-condition', siteTables: ['asset'] });
    expect(one("await em.execute('select * from ' + 'app_user' + ' where id = ?', [id]);")).toMatchObject({ status: 'fail', siteTables: ['app_user'] });
    expect(one('await em.execute(buildQuery(), [id]);')).toMatchObject({ status: 'fail', sql: null, problem: expect.stringMatching(/not statically readable/) });
    // site_id only when a filter is given: passes, with a warning that it otherwise reads every site.
    const s = one("await em.execute(`select * from wallet w where w.status <> 'DISABLED' ${siteId ? 'and w.site_id = ?' : ''}`, p);");
    expect(s.status).toBe('site-condition');
    expect(s.warning).toMatch(/only in a conditional part/);
  });

  it('accepts SQL a query builder wrote (it carries the ORM filters), not an interpolated subquery of unknown origin', () => {
    const orm = one('async function f(em, qb) {\n  const { sql, params } = qb.toQuery();\n  return em.execute(`select count(*) as n from (${sql}) as t`, params);\n}');
    expect(orm).toMatchObject({ status: 'orm-query', tables: ['${orm-query}'], siteTables: [] });
    expect(one('async function f(em, inner) {\n  return em.execute(`select count(*) as n from (${inner}) as t`);\n}')).toMatchObject({ status: 'fail', siteTables: ['${dynamic}'] });
  });

  it('finds raw(), sql() and sql`` too, and ignores calls that are not SQL', () => {
    const found = check(
      [
        "const a = raw('select count(*) from wallet_balance_snapshot');",
        "const b = sql('(select wallet_cooldown_minutes from site where id = ?)', siteId);",
        'const c = sql`select * from audit_entry where site_id = ${siteId}`;',
        'const d = express.raw({ type: () => true });',
        'const e = job.execute({ id: 1 });',
      ].join('\n'),
    );
    expect(found.map((s) => [s.kind, s.line, s.status])).toEqual([
      ['raw', 1, 'fail'],
      ['sql', 2, 'no-site-table'],
      ['sql``', 3, 'site-condition'],
    ]);
  });

  it('checks plain-row reads (reads.rows) like any other raw statement', () => {
    const found = check(
      [
        "const a = reads.rows('select * from wallet where id = ?', [id]);",
        "const b = deps.reads.rows('select * from wallet where id = ? and site_id = ?', [id, siteId]);",
        "const c = table.rows.length;",
      ].join('\n'),
    );
    expect(found.map((s) => [s.kind, s.line, s.status])).toEqual([
      ['rows', 1, 'fail'],
      ['rows', 2, 'site-condition'],
    ]);
  });

  it('does not take a column, alias or string for a table', () => {
    expect(tablesIn("select extract(epoch from cooling_down_until) as wallet, 'from asset' from site")).toEqual(['site']);
    expect(tablesIn('select a is distinct from b from wallet where id in (select id from asset) for update skip locked')).toEqual(['wallet', 'asset']);
    expect(tablesIn('select * from t where exists (select 1 from app_user) and x = any(select id from audit_entry)')).toEqual(['t', 'app_user', 'audit_entry']);
    expect(tablesIn('select * from wallet w, asset a join app_user u on true where x in (select 1 from audit_entry)')).toEqual(['wallet', 'asset', 'app_user', 'audit_entry']);
    expect(tablesIn('insert into asset (id) values (?) on conflict (id) do update set x = 1')).toEqual(['asset']);
    expect(hasSiteCondition('insert into wallet_balance_snapshot (id, site_id) values (?, ?)')).toBe(true);
    expect(hasSiteCondition('select 1 from wallet w join asset a on a.site_id = w.site_id')).toBe(false);
  });
});

describe('check-raw-sql: site-owned tables from the entities', () => {
  it('takes tableName from @Entity and ownership from @SiteScoped() or a site ManyToOne', () => {
    const src = `
      @Entity({ tableName: 'thing' }) export class Thing { @ManyToOne(() => Site) site!: Site; }
      @Entity({ tableName: 'scoped' }) @SiteScoped() export class Scoped {}
      @Entity() export class RateWindow { @PrimaryKey() key!: string; }
      @Entity({ tableName: 'site' }) export class Site {}`;
    expect(entityTables(src)).toEqual([
      { entity: 'Thing', table: 'thing', siteOwned: true },
      { entity: 'Scoped', table: 'scoped', siteOwned: true },
      { entity: 'RateWindow', table: 'rate_window', siteOwned: false },
      { entity: 'Site', table: 'site', siteOwned: false },
    ]);
  });

  it('finds every site-owned table of this repository, audit_entry included', () => {
    const { tables } = checkTree(process.cwd());
    const owned = tables.filter((t) => t.siteOwned).map((t) => t.table);
    expect(owned).toEqual(expect.arrayContaining(['asset', 'audit_entry', 'app_user', 'wallet', 'wallet_balance_snapshot']));
    expect(owned).not.toContain('site');
    expect(owned).not.toContain('rate_limit_bucket');
  });
});
