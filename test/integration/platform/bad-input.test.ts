import { ADMIN_EMAIL, startTestApp, type TestApp } from '../../support/test-app.js';

let t: TestApp;
let root: string;
beforeAll(async () => {
  t = await startTestApp();
  root = await t.adminToken();
});
afterAll(() => t.stop());

async function post(body: string | Buffer, headers: Record<string, string> = {}) {
  const res = await fetch(t.app.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  return { status: res.status, text, json: () => JSON.parse(text) as { errors: { message: string; extensions: { code: string; reason?: string } }[] } };
}

function expectNoLeak(text: string) {
  expect(text).not.toMatch(/at .*\.(ts|js):\d+|stacktrace|node_modules|select |insert |pg_|SyntaxError/i);
}

describe('transport-level bad input', () => {
  it('answers malformed JSON with 400 BAD_USER_INPUT in the GraphQL error shape', async () => {
    const r = await post('{"query": "{ me { id } ');
    expect(r.status).toBe(400);
    expect(r.json().errors[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'MALFORMED_JSON' });
    expectNoLeak(r.text);
  });

  it('answers a 10 MB body with 413 without parsing it', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024, 'a');
    const r = await post(Buffer.concat([Buffer.from('{"query":"'), big, Buffer.from('"}')]));
    expect(r.status).toBe(413);
    expect(r.json().errors[0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'PAYLOAD_TOO_LARGE' });
  });

  it('refuses a batched request (arrays of operations)', async () => {
    const r = await post(JSON.stringify([{ query: '{ me { id } }' }, { query: '{ me { id } }' }]));
    expect(r.status).toBe(400);
    expect(r.json().errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('refuses a request without a query', async () => {
    const r = await post(JSON.stringify({ variables: {} }));
    expect(r.status).toBe(400);
    expect(r.json().errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('refuses requests a browser would send cross-site without a preflight (CSRF prevention)', async () => {
    const form = await fetch(t.app.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'query=%7Bme%7Bid%7D%7D' });
    expect(form.status).toBe(400);
    expect(await form.text()).toMatch(/CSRF|preflight/i);
    const get = await fetch(t.app.graphqlUrl + '?query=%7Bme%7Bid%7D%7D', { method: 'GET' });
    expect(get.status).toBe(400);
    expect(await get.text()).toMatch(/CSRF|preflight/i);
  });
});

describe('GraphQL-level bad input', () => {
  it('answers an unknown operation name with BAD_USER_INPUT', async () => {
    const r = await t.gql('query A { me { id } } query B { me { email } }', {}, { operationName: 'C' });
    expect(r.status).toBe(400);
    expect(r.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('answers a syntax error with BAD_USER_INPUT', async () => {
    const r = await t.gql('{ me { id ');
    expect(r.status).toBe(400);
    expect(r.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'GRAPHQL_PARSE_FAILED' });
  });

  it('answers an unknown field and wrongly typed arguments with BAD_USER_INPUT', async () => {
    const unknown = await t.gql('{ me { id password } }');
    expect(unknown.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    const wrongLiteral = await t.gql('mutation { login(email: 42, password: true) { token } }');
    expect(wrongLiteral.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    const wrongVariable = await t.gql('query($f: Int) { auditLog(first: $f) { totalCount } }', { f: 'ten' }, { token: root });
    expect(wrongVariable.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('hides field suggestions and introspection in production only', async () => {
    const r = await t.gql('{ me { emial } }');
    expect(r.errors![0]!.message).toMatch(/Did you mean/);
    expect((await t.gql('{ __schema { queryType { name } } }')).errors).toBeUndefined();
    const prod = await startTestApp({
      NODE_ENV: 'production',
      HOST: '127.0.0.1',
      MIGRATE_ON_START: '1',
      WALLET_MASTER_KEYS: `1:${Buffer.alloc(32, 5).toString('base64')}`,
      METRICS_TOKEN: 'm'.repeat(16),
      LOG_LEVEL: 'silent',
    });
    try {
      const hidden = await prod.gql('{ me { emial } }');
      expect(hidden.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
      expect(hidden.errors![0]!.message).not.toMatch(/Did you mean/);
      expect((await prod.gql('{ __schema { queryType { name } } }')).errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    } finally {
      await prod.stop();
    }
  });

  it('refuses a query deeper than 10 before executing it', async () => {
    const deep = '{ me { site { a { b { c { d { e { f { g { h { i } } } } } } } } } } }';
    const r = await t.gql(deep);
    expect(r.status).toBe(400);
    expect(r.data ?? null).toBeNull();
    expect(r.errors!.map((e) => e.message).join('\n')).toMatch(/depth limit of 10/i);
    expect(r.errors!.every((e) => e.extensions!.code === 'BAD_USER_INPUT')).toBe(true);
  });

  it('accepts 15 aliases and refuses 16', async () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    expect((await t.gql(aliases(15))).errors).toBeUndefined();
    const r = await t.gql(aliases(16));
    expect(r.status).toBe(400);
    expect(r.errors![0]!.message).toMatch(/aliases/i);
    expect(r.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('refuses a document of more than 2000 tokens', async () => {
    const wide = `{ me { ${'id '.repeat(2100)} } }`;
    const r = await t.gql(wide);
    expect(r.status).toBe(400);
    expect(r.errors![0]!.message).toMatch(/token/i);
    expect(r.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('refuses too many directives', async () => {
    const many = `{ me ${'@include(if: true) '.repeat(60)} { id } }`;
    const r = await t.gql(many);
    expect(r.status).toBe(400);
    expect(r.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });

  it('answers a wrong password without saying whether the account exists', async () => {
    const r = await t.gql('mutation { login(email: "' + ADMIN_EMAIL + '", password: "nope-nope-nope") { token } }');
    expect(r.errors![0]!.message).toBe('Invalid email or password');
  });
});
