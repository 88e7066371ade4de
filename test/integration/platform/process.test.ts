import { spawn } from 'node:child_process';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { startTestApp } from '../../support/test-app.js';

const MAIN = ['--import', '@swc-node/register/esm-register', 'src/main.ts'];

function runMain(env: Record<string, string>, args: string[] = []) {
  const child = spawn(process.execPath, [...MAIN, ...args], {
    cwd: process.cwd(),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  const waitFor = async (pattern: RegExp, ms = 20000) => {
    const end = Date.now() + ms;
    while (!pattern.test(out)) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`did not see ${pattern} in:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, exited, waitFor, output: () => out };
}

describe('the vestline process', () => {
  it('refuses to start in production without its secrets, naming each one, exit code 78', async () => {
    const p = runMain({ NODE_ENV: 'production', LOG_LEVEL: 'silent' });
    expect(await p.exited).toBe(78);
    expect(p.output()).toMatch(/JWT_SECRET is required in production/);
    expect(p.output()).toMatch(/DATABASE_URL is required in production/);
  });

  it('refuses a malformed value without echoing it', async () => {
    const p = runMain({ NODE_ENV: 'production', JWT_SECRET: 'short-secret-value', DATABASE_URL: 'mysql://x', PORT: 'eighty' });
    expect(await p.exited).toBe(78);
    expect(p.output()).toMatch(/JWT_SECRET must be at least 32 characters/);
    expect(p.output()).toMatch(/DATABASE_URL must be a postgres/);
    expect(p.output()).toMatch(/PORT/);
    expect(p.output()).not.toContain('short-secret-value');
  });

  describe('with a database', () => {
    let db: TestDatabase;
    beforeAll(async () => {
      db = await createTestDatabase();
    });
    afterAll(() => db.drop());

    it('refuses to start on an unmigrated database when it may not migrate, saying what to run', async () => {
      const p = runMain({ NODE_ENV: 'production', DATABASE_URL: db.url, JWT_SECRET: 'x'.repeat(40), WALLET_MASTER_KEYS: `1:${Buffer.alloc(32, 9).toString('base64')}`, PORT: '0', HOST: '127.0.0.1' });
      expect(await p.exited).toBe(1);
      expect(p.output()).toMatch(/pending migration\(s\): run npm run migrate/);
    });

    it('starts, serves, and on SIGTERM closes everything and exits 0', async () => {
      const p = runMain({ NODE_ENV: 'production', DATABASE_URL: db.url, JWT_SECRET: 'x'.repeat(40), WALLET_MASTER_KEYS: `1:${Buffer.alloc(32, 9).toString('base64')}`, PORT: '0', MIGRATE_ON_START: '1', HOST: '127.0.0.1' });
      await p.waitFor(/"msg":"vestline started"/);
      const url = /"url":"(http:\/\/127\.0\.0\.1:\d+)"/.exec(p.output())![1]!;
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const me = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ me { id } }"}' });
      expect(await me.json()).toEqual({ data: { me: null } });
      // Production: no introspection.
      const intro = await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __schema { types { name } } }"}' });
      expect(((await intro.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('BAD_USER_INPUT');
      expect(p.output()).not.toMatch(/DEVELOPMENT MODE/);
      p.child.kill('SIGTERM');
      expect(await p.exited).toBe(0);
      expect(p.output()).toMatch(/"msg":"shutting down"/);
      expect(p.output()).toMatch(/"msg":"stopped"/);
    });
  });
});

describe('process roles', () => {
  it('worker role serves health but not GraphQL, and processes jobs', async () => {
    const t = await startTestApp({}, { argv: ['--role=worker'] });
    try {
      expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
      expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
      expect((await fetch(t.app.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{me{id}}"}' })).status).toBe(404);
      expect(t.app.jobs.agenda.isActiveJobProcessor()).toBe(true);
    } finally {
      await t.stop();
    }
  });

  it('api role serves GraphQL and does not process jobs', async () => {
    const t = await startTestApp({}, { argv: ['--role=api'] });
    try {
      expect((await t.gql('{ me { id } }')).errors).toBeUndefined();
      expect(t.app.jobs.agenda.isActiveJobProcessor()).toBe(false);
    } finally {
      await t.stop();
    }
  });

  it('finishes a running job before stopping', async () => {
    const t = await startTestApp();
    let finished = false;
    let started = false;
    t.app.jobs.agenda.define('test.slow', async () => {
      started = true;
      await new Promise((r) => setTimeout(r, 1500));
      finished = true;
    });
    await t.app.jobs.agenda.now('test.slow');
    const end = Date.now() + 10000;
    while (!started && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
    expect(started).toBe(true);
    await t.stop();
    expect(finished).toBe(true);
  });
});
