import WebSocket from 'ws';
import { SignJWT } from 'jose';
import { createSiteFixture, startTestApp, type TestApp } from '../../support/test-app.js';
import { openWs } from '../../support/ws-client.js';

let t: TestApp;
let wsUrl: string;
beforeAll(async () => {
  t = await startTestApp();
  wsUrl = t.app.graphqlUrl.replace(/^http/, 'ws');
});
afterAll(() => t.stop());

/**
 * Speaks the graphql-transport-ws protocol over a raw socket: connection_init, then one operation;
 * resolves with the operation's result or with how the server closed the socket.
 */
function run(connectionParams: Record<string, unknown> | undefined, query: string): Promise<{ result?: unknown; closeCode?: number; closeReason?: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, 'graphql-transport-ws');
    let result: unknown;
    const timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000);
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: connectionParams })));
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString()) as { type: string; payload?: unknown };
      if (msg.type === 'connection_ack') ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query } }));
      else if (msg.type === 'next') result = msg.payload;
      else if (msg.type === 'error') result = { errors: msg.payload };
      else if (msg.type === 'complete' || msg.type === 'error') ws.close(1000);
      if (msg.type === 'error') ws.close(1000);
    });
    ws.on('close', (code, reason) => {
      clearTimeout(timer);
      resolve(result !== undefined ? { result } : { closeCode: code, closeReason: reason.toString() });
    });
    ws.on('error', reject);
  });
}

/** One socket, several operations in turn: to see what changes for an open connection. */
const session = (connectionParams: Record<string, unknown>) => openWs(t.app.graphqlUrl, connectionParams);

const codeOf = (r: unknown) => (r as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code;

describe('graphql-ws on an open connection', () => {
  it('applies a role change to the next operation on the same socket', async () => {
    const f = await createSiteFixture(t, 'ws-demote');
    const s = await session({ authorization: `Bearer ${f.adminToken}` });
    expect(codeOf(await s.run('{ walletPoolStats { network } }'))).toBeUndefined();
    await t.app.db.orm.em.fork().getConnection().execute(`update app_user set role = 'CUSTOMER' where email = ?`, ['site_admin@ws-demote.test']);
    expect(codeOf(await s.run('{ walletPoolStats { network } }'))).toBe('FORBIDDEN');
    s.close();
  });

  it('closes the socket with 4401 once the account is gone', async () => {
    const f = await createSiteFixture(t, 'ws-gone');
    const s = await session({ authorization: `Bearer ${f.customerToken}` });
    expect(codeOf(await s.run('{ me { id } }'))).toBeUndefined();
    await t.app.db.orm.em.fork().getConnection().execute(`delete from app_user where email = ?`, ['customer@ws-gone.test']);
    const r = (await s.run('{ me { id } }')) as { closed?: { code: number }; errors?: unknown[] };
    expect(r.closed?.code ?? s.closed()?.code).toBe(4401);
  });

  it('answers parse errors, unknown fields and the token limit with BAD_USER_INPUT, not internal errors', async () => {
    const s = await session({ authorization: `Bearer ${await t.adminToken()}` });
    expect(codeOf(await s.run('{ me { id '))).toBe('BAD_USER_INPUT');
    expect(codeOf(await s.run('{ me { password } }'))).toBe('BAD_USER_INPUT');
    expect(codeOf(await s.run(`{ me { ${'id '.repeat(2100)} } }`))).toBe('BAD_USER_INPUT');
    expect(t.logs.some((l) => l.includes('internal error'))).toBe(false);
    s.close();
  });

  it('closes the socket with 4401 when the token expires', async () => {
    const { startSession } = await import('../../../src/services/auth/sessions.js');
    const admin = (await t.app.db.orm.em.fork().getConnection().execute<{ id: string }[]>(`select id from app_user where role = 'SUPER_ADMIN'`))[0]!;
    const { token } = await startSession(t.app.db.orm.em.fork(), { id: admin.id, role: 'SUPER_ADMIN' as never, site: null }, { secret: 'test-secret-that-is-long-enough-0123456789', ttlSeconds: 60, ip: null, now: new Date(Date.now() - 58_500) });
    const s = await session({ authorization: `Bearer ${token}` });
    const end = Date.now() + 5000;
    while (!s.closed() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(s.closed()).toEqual({ code: 4401, reason: 'Unauthorized: session expired' });
  });
});

describe('graphql-ws authentication', () => {
  it('closes an anonymous connection with 4401 instead of serving it', async () => {
    const r = await run(undefined, '{ me { id } }');
    expect(r.closeCode).toBe(4401);
    expect(r.result).toBeUndefined();
  });

  it('closes a connection with an expired token with 4401', async () => {
    const token = await new SignJWT({ role: 'SUPER_ADMIN', site: null })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('x')
      .setIssuer('vestline')
      .setAudience('api')
      .setIssuedAt(1000)
      .setExpirationTime(2000)
      .sign(new TextEncoder().encode('test-secret-that-is-long-enough-0123456789'));
    const r = await run({ authorization: `Bearer ${token}` }, '{ me { id } }');
    expect(r.closeCode).toBe(4401);
    expect(r.closeReason).toMatch(/expired/i);
  });

  it('closes a connection with a forged token with 4401', async () => {
    const r = await run({ authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' }, '{ me { id } }');
    expect(r.closeCode).toBe(4401);
  });

  it('closes a SUPER_ADMIN connection that names a site that does not exist with 4403', async () => {
    const token = await t.adminToken();
    const r = await run({ authorization: `Bearer ${token}`, 'x-site-id': '00000000-0000-4000-8000-000000000009' }, '{ me { id } }');
    expect(r.closeCode).toBe(4403);
  });

  it('serves a signed-in connection, with the same permission rules as HTTP', async () => {
    const token = await t.adminToken();
    const me = await run({ authorization: `Bearer ${token}` }, '{ me { email role } }');
    expect(me.result).toEqual({ data: { me: { email: 'root@vestline.test', role: 'SUPER_ADMIN' } } });
    const refused = await run({ authorization: `Bearer ${token}` }, '{ walletPoolStats { network } }');
    expect((refused.result as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('FORBIDDEN');
  });

  it('applies the query depth limit over graphql-ws too', async () => {
    const token = await t.adminToken();
    const r = await run({ authorization: `Bearer ${token}` }, '{ me { site { a { b { c { d { e { f { g { h { i } } } } } } } } } } }');
    expect(JSON.stringify(r)).toMatch(/depth limit of 10/i);
  });
});
