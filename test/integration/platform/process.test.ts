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
  const waitFor = async (pattern: RegExp, ms = 25000) => {
    const end = Date.now() + ms;
    while (!pattern.test(out)) {
      if (Date.now() > end || child.exitCode !== null) throw new Error(`did not see ${pattern} in:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, exited, waitFor, output: () => out };
}

/** Polls `check` every 20 ms until it holds, for at most `ms`. */
async function until(check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

const KEYS = `1:${Buffer.alloc(32, 9).toString('base64')}`;
/** What production requires besides the database URL, all valid. */
const SECRETS = { JWT_SECRET: 'x'.repeat(40), WALLET_MASTER_KEYS: KEYS, METRICS_TOKEN: 'm'.repeat(32) };

type Main = ReturnType<typeof runMain>;

// Loading src/main.ts takes seconds per process, almost all of it module loading, so the four
// processes start together here and each test awaits its own; the in-process tests below run
// meanwhile. Two databases, so the unmigrated one stays unmigrated.
let unmigratedDb: TestDatabase;
let servingDb: TestDatabase;
let main: { noSecrets: Main; malformed: Main; unmigrated: Main; serving: Main };

beforeAll(async () => {
  [unmigratedDb, servingDb] = await Promise.all([createTestDatabase(), createTestDatabase()]);
  main = {
    noSecrets: runMain({ NODE_ENV: 'production', LOG_LEVEL: 'silent' }),
    malformed: runMain({ NODE_ENV: 'production', JWT_SECRET: 'short-secret-value', DATABASE_URL: 'mysql://x', PORT: 'eighty' }),
    unmigrated: runMain({ NODE_ENV: 'production', DATABASE_URL: unmigratedDb.url, ...SECRETS, PORT: '0', HOST: '127.0.0.1' }),
    // A short drain delay: the production default (5 s) only adds waiting to the shutdown checked here.
    serving: runMain({ NODE_ENV: 'production', DATABASE_URL: servingDb.url, ...SECRETS, PORT: '0', MIGRATE_ON_START: '1', HOST: '127.0.0.1', SHUTDOWN_DRAIN_DELAY_MS: '100' }),
  };
});
afterAll(async () => {
  // A failed test may leave its process running.
  for (const p of Object.values(main ?? {})) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  await Promise.all(Object.values(main ?? {}).map((p) => p.exited));
  await Promise.all([unmigratedDb?.drop(), servingDb?.drop()]);
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
    let started = false;
    let finished = false;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    t.app.jobs.agenda.define('test.slow', async () => {
      started = true;
      await gate;
      finished = true;
    });
    await t.app.jobs.agenda.now('test.slow');
    await until(() => started, 10000);
    expect(started).toBe(true);

    const stopping = t.stop();
    // HTTP closes first, then the job runner drains: the job is still held at the gate.
    await until(() => t.logs.some((l) => l.includes('"msg":"HTTP server closed"')), 10000);
    expect(finished).toBe(false);
    release();
    await stopping;
    expect(finished).toBe(true);
    const drained = JSON.parse(t.logs.find((l) => l.includes('"msg":"job runner drained"'))!) as { drain: { completed: number; running: number; timedOut: boolean } };
    // The repeating jobs may complete during the drain too.
    expect(drained.drain).toMatchObject({ running: 0, timedOut: false });
    expect(drained.drain.completed).toBeGreaterThanOrEqual(1);
  });
});

describe('the vestline process', () => {
  it('refuses to start in production without its secrets, naming each one, exit code 78', async () => {
    const p = main.noSecrets;
    expect(await p.exited).toBe(78);
    expect(p.output()).toMatch(/JWT_SECRET is required in production/);
    expect(p.output()).toMatch(/DATABASE_URL is required in production/);
  });

  it('refuses a malformed value without echoing it', async () => {
    const p = main.malformed;
    expect(await p.exited).toBe(78);
    expect(p.output()).toMatch(/JWT_SECRET must be at least 32 characters/);
    expect(p.output()).toMatch(/DATABASE_URL must be a postgres/);
    expect(p.output()).toMatch(/PORT/);
    expect(p.output()).not.toContain('short-secret-value');
  });

  describe('with a database', () => {
    it('refuses to start on an unmigrated database when it may not migrate, saying what to run', async () => {
      const p = main.unmigrated;
      expect(await p.exited).toBe(1);
      expect(p.output()).toMatch(/pending migration\(s\): run npm run migrate/);
    });

    it('starts, serves, and on SIGTERM closes everything and exits 0', async () => {
      const p = main.serving;
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
