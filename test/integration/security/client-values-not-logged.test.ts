import { randomBytes } from 'node:crypto';
import { createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';
import { openWs, type WsResult } from '../../support/ws-client.js';

/**
 * A private key sent in every malformed way we could find, over HTTP and graphql-ws, in development
 * and production mode: the client gets BAD_USER_INPUT and the server log never holds the value.
 */
const IMPORT = 'mutation($n: Network!, $k: String!) { importWallet(network: $n, privateKey: $k) { id } }';

function malformedRequests(key: string): { name: string; query: string; variables?: unknown }[] {
  return [
    { name: 'key as an array', query: IMPORT, variables: { n: 'ETHEREUM', k: [key] } },
    { name: 'key as an object', query: IMPORT, variables: { n: 'ETHEREUM', k: { hex: key } } },
    { name: 'key as a number-like value', query: IMPORT, variables: { n: 'ETHEREUM', k: 12345 } },
    { name: 'key in an enum variable', query: IMPORT, variables: { n: key, k: key } },
    { name: 'key missing, sent under another name', query: IMPORT, variables: { n: 'ETHEREUM', privateKey: key } },
    { name: 'key as an inline literal of the wrong type', query: `mutation { importWallet(network: ETHEREUM, privateKey: ["${key}"]) { id } }` },
    { name: 'key in a query with a syntax error', query: `mutation { importWallet(network: ETHEREUM, privateKey: "${key}" { id } }` },
    { name: 'key as an unknown argument', query: `mutation { importWallet(network: ETHEREUM, privateKey: "x", secret: "${key}") { id } }` },
    { name: 'key with one character too many', query: IMPORT, variables: { n: 'ETHEREUM', k: `${key}0` } },
    { name: 'key in a nullable variable of the wrong type', query: 'mutation($k: Int) { importWallet(network: ETHEREUM, privateKey: "x", label: $k) { id } }', variables: { k: key } },
  ];
}

for (const mode of ['development', 'production'] as const) {
  describe(`client values in ${mode} mode`, () => {
    let t: TestApp;
    let site: SiteFixture;
    beforeAll(async () => {
      const env: Record<string, string> =
        mode === 'production'
          ? { NODE_ENV: 'production', MIGRATE_ON_START: '1', WALLET_MASTER_KEYS: `1:${randomBytes(32).toString('base64')}`, EDGE_SHARED_SECRET: randomBytes(32).toString('hex'), METRICS_TOKEN: randomBytes(16).toString('hex') }
          : {};
      t = await startTestApp(env);
      site = await createSiteFixture(t, `keys-${mode}`);
    });
    afterAll(() => t.stop());

    const expectInputError = (errors: WsResult['errors'], name: string) => {
      expect({ name, codes: errors?.map((e) => e.extensions?.code) }).toEqual({ name, codes: expect.arrayContaining(['BAD_USER_INPUT']) });
      expect({ name, internal: errors?.some((e) => e.extensions?.code === 'INTERNAL_SERVER_ERROR') }).toEqual({ name, internal: false });
    };

    it('answers BAD_USER_INPUT over HTTP and never logs the key', async () => {
      const key = randomBytes(32).toString('hex');
      for (const r of malformedRequests(key)) {
        const res = await t.gql(r.query, r.variables as Record<string, unknown>, { token: site.adminToken });
        expectInputError(res.errors, r.name);
      }
      // Headers a client controls, too.
      await t.gql('{ me { id } }', {}, { headers: { authorization: `Bearer ${key}` } });
      await t.gql('{ me { id } }', {}, { token: site.adminToken, headers: { 'x-site-id': key, 'x-request-id': key } });
      const log = t.logs.join('');
      expect(log.toLowerCase()).not.toContain(key);
    });

    it('answers BAD_USER_INPUT over graphql-ws and never logs the key', async () => {
      const key = randomBytes(32).toString('hex');
      const ws = await openWs(t.app.graphqlUrl, { authorization: `Bearer ${site.adminToken}` });
      try {
        for (const r of malformedRequests(key)) {
          const res = await ws.run(r.query, r.variables);
          expect('closed' in res ? res : undefined).toBeUndefined();
          expectInputError((res as WsResult).errors, r.name);
        }
      } finally {
        ws.close();
      }
      const log = t.logs.join('');
      expect(log.toLowerCase()).not.toContain(key);
      expect(log).not.toMatch(/"level":50[^\n]*internal error in GraphQL operation/);
    });
  });
}
