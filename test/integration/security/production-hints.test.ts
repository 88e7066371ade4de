import { randomBytes } from 'node:crypto';
import { createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';
import { openWs, type WsResult } from '../../support/ws-client.js';

/** In production no error names a field, type or enum value the caller did not write. */
const PROBES: { name: string; query: string; variables?: Record<string, unknown> }[] = [
  { name: 'misspelt field', query: '{ mee { id } }' },
  { name: 'misspelt argument', query: '{ wallets(frist: 1) { totalCount } }' },
  { name: 'misspelt enum literal', query: '{ assets(network: TRONN) { id } }' },
  { name: 'misspelt enum in a variable', query: 'query($n: Network) { assets(network: $n) { id } }', variables: { n: 'TRONN' } },
  { name: 'misspelt input field in a variable', query: 'query($f: WalletFilter) { wallets(filter: $f) { totalCount } }', variables: { f: { netwrk: 'TRON' } } },
  { name: 'misspelt type in a variable definition', query: 'query($n: Netwrk) { assets(network: $n) { id } }', variables: { n: 'TRON' } },
];

describe('schema hints in production', () => {
  let t: TestApp;
  let site: SiteFixture;
  beforeAll(async () => {
    t = await startTestApp({
      NODE_ENV: 'production',
      MIGRATE_ON_START: '1',
      WALLET_MASTER_KEYS: `1:${randomBytes(32).toString('base64')}`,
      EDGE_SHARED_SECRET: randomBytes(32).toString('hex'),
      METRICS_TOKEN: randomBytes(16).toString('hex'),
    });
    site = await createSiteFixture(t, 'hints');
  });
  afterAll(() => t.stop());

  const check = (name: string, errors: WsResult['errors']) => {
    expect({ name, some: (errors ?? []).length > 0 }).toEqual({ name, some: true });
    for (const e of errors ?? []) {
      expect({ name, message: e.message }).toEqual({ name, message: expect.not.stringMatching(/did you mean/i) });
      expect({ name, code: e.extensions?.code }).toEqual({ name, code: 'BAD_USER_INPUT' });
    }
  };

  it('gives no suggestions over HTTP', async () => {
    for (const p of PROBES) check(p.name, (await t.gql(p.query, p.variables, { token: site.adminToken })).errors);
  });

  it('gives no suggestions over graphql-ws', async () => {
    const ws = await openWs(t.app.graphqlUrl, { authorization: `Bearer ${site.adminToken}` });
    try {
      for (const p of PROBES) {
        const r = await ws.run(p.query, p.variables);
        check(p.name, 'closed' in r ? undefined : r.errors);
      }
    } finally {
      ws.close();
    }
  });
});
