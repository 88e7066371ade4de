import { createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';

type Err = { extensions?: { code?: string; fields?: { field: string; constraints: Record<string, string> }[] } };

/** Shape rules live on the input classes: each breach is BAD_USER_INPUT naming the field, and nothing is written. */
describe('input shapes', () => {
  let t: TestApp;
  let site: SiteFixture;
  const count = async (table: string) =>
    Number((await t.app.db.orm.em.fork().getConnection().execute<{ n: string }[]>(`select count(*) as n from ${table}`))[0]!.n);

  beforeAll(async () => {
    t = await startTestApp();
    site = await createSiteFixture(t, 'shapes');
  });
  afterAll(() => t.stop());

  const USDT = { network: 'ETHEREUM', symbol: 'USDT', decimals: 6, contractAddress: '0xdAC17F958D2ee523a2206206994597C13D831ec7', purpose: 'PAYMENT', confirmationsRequired: 12, active: true };
  const cases: { name: string; field: string; query: string; variables: Record<string, unknown>; who: 'root' | 'admin' }[] = [
    { name: 'createSite slug with spaces', field: 'slug', query: 'mutation($s:String!){createSite(slug:$s,name:"x"){id}}', variables: { s: 'Bad Slug' }, who: 'root' },
    { name: 'createSite blank name', field: 'name', query: 'mutation($n:String!){createSite(slug:"ok-slug",name:$n){id}}', variables: { n: '   ' }, who: 'root' },
    { name: 'generateWallets count 0', field: 'count', query: 'mutation{generateWallets(network:TRON,count:0){id}}', variables: {}, who: 'admin' },
    { name: 'generateWallets count 501', field: 'count', query: 'mutation{generateWallets(network:TRON,count:501){id}}', variables: {}, who: 'admin' },
    { name: 'generateWallets long label prefix', field: 'labelPrefix', query: 'mutation($p:String){generateWallets(network:TRON,count:1,labelPrefix:$p){id}}', variables: { p: 'x'.repeat(61) }, who: 'admin' },
    { name: 'importWallet long label', field: 'label', query: 'mutation($l:String){importWallet(network:TRON,privateKey:"00",label:$l){id}}', variables: { l: 'x'.repeat(101) }, who: 'admin' },
    { name: 'upsertAsset symbol too long', field: 'symbol', query: 'mutation($i:AssetInput!){upsertAsset(input:$i){id}}', variables: { i: { ...USDT, symbol: 'X'.repeat(17) } }, who: 'admin' },
    { name: 'upsertAsset decimals 37', field: 'decimals', query: 'mutation($i:AssetInput!){upsertAsset(input:$i){id}}', variables: { i: { ...USDT, decimals: 37 } }, who: 'admin' },
    { name: 'upsertAsset negative confirmations', field: 'confirmationsRequired', query: 'mutation($i:AssetInput!){upsertAsset(input:$i){id}}', variables: { i: { ...USDT, confirmationsRequired: -1 } }, who: 'admin' },
    { name: 'upsertAsset bad custody id', field: 'custodyAssetId', query: 'mutation($i:AssetInput!){upsertAsset(input:$i){id}}', variables: { i: { ...USDT, custodyAssetId: 'no spaces allowed' } }, who: 'admin' },
    { name: 'createUser short password', field: 'password', query: 'mutation($i:CreateUserInput!){createUser(input:$i){id}}', variables: { i: { email: 'x@shapes.test', password: 'short', role: 'CUSTOMER', siteId: '' } }, who: 'admin' },
  ];

  it.each(cases)('$name: BAD_USER_INPUT naming $field, nothing written', async (c) => {
    c.variables = JSON.parse(JSON.stringify(c.variables).replace('"siteId":""', `"siteId":"${site.siteId}"`));
    const before = await Promise.all(['site', 'wallet', 'asset', 'app_user', 'audit_entry'].map(count));
    const token = c.who === 'root' ? await t.adminToken() : site.adminToken;
    const r = await t.gql(c.query, c.variables, { token });
    const e = r.errors?.[0] as Err | undefined;
    expect(e?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(e?.extensions?.fields?.map((f) => f.field)).toEqual([c.field]);
    expect(Object.values(e!.extensions!.fields![0]!.constraints).join(' ')).toContain(c.field);
    expect(await Promise.all(['site', 'wallet', 'asset', 'app_user', 'audit_entry'].map(count))).toEqual(before);
  });
});
