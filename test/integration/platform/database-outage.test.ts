import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

let t: TestApp;
let proxy: TcpProxy;
let token: string;

beforeAll(async () => {
  // The app reaches PostgreSQL only through a relay the test can cut.
  t = await startTestApp({}, {
    databaseUrl: async (url) => {
      const u = new URL(url);
      proxy = await startTcpProxy(u.hostname, Number(u.port));
      u.port = String(proxy.port);
      return u.toString();
    },
  });
  token = await t.adminToken();
});
afterAll(async () => {
  proxy.restore();
  await t.stop();
  await proxy.close();
});

async function readyz() {
  const res = await fetch(`${t.url}/readyz`);
  return { status: res.status, body: (await res.json()) as { checks: Record<string, string> } };
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 15000): Promise<T> {
  const end = Date.now() + ms;
  let last = await fn();
  while (!ok(last) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 200));
    last = await fn();
  }
  return last;
}

describe('the database going away while the server runs', () => {
  it('reports ready, then 503 and masked errors during the outage, then recovers', async () => {
    expect((await readyz()).status).toBe(200);
    expect((await t.gql('{ sites { id } }', {}, { token })).errors).toBeUndefined();

    proxy.cut();

    const down = await eventually(readyz, (r) => r.status === 503);
    expect(down.status).toBe(503);
    expect(down.body.checks.database).toBe('down');

    const during = await t.gql('{ sites { id } }', {}, { token });
    expect(during.errors![0]!.extensions!.code).toBe('INTERNAL_SERVER_ERROR');
    expect(during.errors![0]!.message).toBe('Internal server error');
    expect(JSON.stringify(during)).not.toMatch(/ECONN|connect|postgres|127\.0\.0\.1|stack/i);
    // /healthz is about the process, not its dependencies.
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);

    proxy.restore();

    const back = await eventually(readyz, (r) => r.status === 200);
    expect(back.status).toBe(200);
    const after = await eventually(() => t.gql<{ sites: unknown[] }>('{ sites { id } }', {}, { token }), (r) => !r.errors);
    expect(after.errors).toBeUndefined();
    expect(Array.isArray(after.data!.sites)).toBe(true);
    // The internal error was logged for operators, with the request id, not sent to the client.
    const requestId = during.headers.get('x-request-id');
    expect(requestId).toBeTruthy();
    expect(t.logs.some((l) => l.includes('internal error in GraphQL operation') && l.includes(requestId!))).toBe(true);
  });
});

/** The pino `msg` of each JSON log line (lines that are not JSON are kept whole). */
function messages(lines: string[]): string[] {
  return lines.map((l) => {
    try {
      return String((JSON.parse(l) as { msg?: unknown }).msg);
    } catch {
      return l;
    }
  });
}

describe('the job notification channel during an outage', () => {
  it('logs lost, a backed-off retry interval and restored, not a line per reconnect attempt', async () => {
    const channelLines = (from: number) => messages(t.logs.slice(from)).filter((m) => m.startsWith('job notification channel'));
    // Starts with the channel up: an earlier outage in this file may still be in its backoff.
    const settled = await eventually(async () => channelLines(0).at(-1) ?? 'no outage yet', (last) => !/lost|retrying/.test(last), 40000);
    expect(settled).not.toMatch(/lost|retrying/);
    expect((await readyz()).status).toBe(200);
    const from = t.logs.length;
    proxy.cut();
    // The length of the outage is the scenario, not a measurement: a reconnect loop without backoff
    // (one attempt per 100 ms, two lines each) writes about 60 lines in it.
    await new Promise((r) => setTimeout(r, 3000));
    proxy.restore();
    const restored = await eventually(
      async () => channelLines(from),
      (lines) => lines.some((m) => m.includes('restored')),
      20000,
    );

    // A bounded count first: this is what a reconnect loop without backoff fails.
    expect(restored.length).toBeLessThanOrEqual(8);
    expect(restored.filter((m) => m.includes('lost'))).toHaveLength(1);
    expect(restored.filter((m) => m.includes('restored'))).toHaveLength(1);
    const intervals = restored.map((m) => /retrying every ([\d.]+) s/.exec(m)?.[1]).filter((n) => n !== undefined).map(Number);
    expect(intervals.length).toBeGreaterThanOrEqual(1);
    // Exponential backoff: each announced interval is longer than the one before.
    for (let i = 1; i < intervals.length; i++) expect(intervals[i]!).toBeGreaterThan(intervals[i - 1]!);
    // The order an operator reads: lost first, restored last.
    expect(restored[0]).toMatch(/lost/);
    expect(restored.at(-1)).toMatch(/restored/);
    expect((await eventually(readyz, (r) => r.status === 200)).status).toBe(200);
  }, 60000);
});
