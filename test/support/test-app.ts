import 'reflect-metadata';
import { Writable } from 'node:stream';
import { startApp, type RunningApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export const ADMIN_EMAIL = 'root@vestline.test';
export const ADMIN_PASSWORD = 'root-password-123';
export const PASSWORD = 'correct-horse-battery';

export interface GqlResult<T = Record<string, unknown>> {
  status: number;
  data?: T | null;
  errors?: { message: string; path?: string[]; extensions?: { code?: string; [k: string]: unknown } }[];
  headers: Headers;
}

export interface GqlOptions {
  token?: string | null;
  siteId?: string;
  headers?: Record<string, string>;
  operationName?: string;
}

export interface TestApp {
  app: RunningApp;
  db: TestDatabase;
  url: string;
  /** Every log line the app wrote, as raw JSON text. */
  logs: string[];
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, opts?: GqlOptions): Promise<GqlResult<T>>;
  login(email: string, password: string): Promise<string>;
  adminToken(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts the real server (HTTP, graphql-ws, jobs) on a free port against a fresh database.
 * `env` overrides the test defaults; `databaseUrl` points it somewhere else (e.g. through a proxy).
 * `sameDatabaseAs` starts a second instance on another app's database instead of a fresh one (two
 * processes of one deployment): its stop() leaves the database to its owner, so stop it first.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  opts: { databaseUrl?: (url: string) => string | Promise<string>; argv?: string[]; sameDatabaseAs?: TestApp } = {},
): Promise<TestApp> {
  const db = opts.sameDatabaseAs ? borrowedDatabase(opts.sameDatabaseAs.db) : await createTestDatabase();
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      logs.push(chunk.toString('utf8'));
      cb();
    },
  });
  const databaseUrl = opts.databaseUrl ? await opts.databaseUrl(db.url) : db.url;
  const config = loadConfig(
    {
      NODE_ENV: 'test',
      PORT: '0',
      DATABASE_URL: databaseUrl,
      JWT_SECRET: 'test-secret-that-is-long-enough-0123456789',
      PASSWORD_SCRYPT_N: '1024',
      BOOTSTRAP_ADMIN_EMAIL: ADMIN_EMAIL,
      BOOTSTRAP_ADMIN_PASSWORD: ADMIN_PASSWORD,
      AGENDA_PROCESS_EVERY_MS: '200',
      SHUTDOWN_TIMEOUT_MS: '5000',
      DB_POOL_MAX: '20',
      ...env,
    },
    opts.argv ?? [],
  );
  const app = await startApp(config, createLogger(env.LOG_LEVEL ?? 'debug', sink));
  let adminToken: string | undefined;

  const gql: TestApp['gql'] = async (query, variables, o = {}) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...o.headers };
    if (o.token) headers.authorization = `Bearer ${o.token}`;
    if (o.siteId) headers['x-site-id'] = o.siteId;
    const res = await fetch(app.graphqlUrl, {
      method: 'POST',
      headers,
      body: JSON.stringify({ query, variables, operationName: o.operationName }),
    });
    const text = await res.text();
    let body: { data?: unknown; errors?: GqlResult['errors'] };
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`non-JSON response ${res.status}: ${text.slice(0, 200)}`);
    }
    return { status: res.status, data: body.data as never, errors: body.errors, headers: res.headers };
  };

  const login = async (email: string, password: string) => {
    const r = await gql<{ login: { token: string } }>('mutation($e:String!,$p:String!){login(email:$e,password:$p){token}}', { e: email, p: password });
    if (!r.data?.login) throw new Error(`login failed for ${email}: ${JSON.stringify(r.errors)}`);
    return r.data.login.token;
  };

  return {
    app,
    db,
    url: app.url,
    logs,
    gql,
    login,
    async adminToken() {
      adminToken ??= await login(ADMIN_EMAIL, ADMIN_PASSWORD);
      return adminToken;
    },
    async stop() {
      await app.stop();
      await db.drop();
    },
  };
}

/** Another app's database, used but not owned: dropping it is its owner's job. */
function borrowedDatabase(owner: TestDatabase): TestDatabase {
  return { url: owner.url, name: owner.name, drop: () => Promise.resolve() };
}

export interface SiteFixture {
  siteId: string;
  adminToken: string;
  operatorToken: string;
  customerToken: string;
  adminEmail: string;
}

/** A site with one SITE_ADMIN, one OPERATOR and one CUSTOMER, created through the API. */
export async function createSiteFixture(t: TestApp, slug: string): Promise<SiteFixture> {
  const root = await t.adminToken();
  const site = await t.gql<{ createSite: { id: string } }>('mutation($s:String!){createSite(slug:$s,name:$s){id}}', { s: slug }, { token: root });
  const siteId = site.data?.createSite.id;
  if (!siteId) throw new Error(`createSite failed: ${JSON.stringify(site.errors)}`);
  const tokens: Record<string, string> = {};
  for (const role of ['SITE_ADMIN', 'OPERATOR', 'CUSTOMER']) {
    const email = `${role.toLowerCase()}@${slug}.test`;
    const r = await t.gql(
      'mutation($i:CreateUserInput!){createUser(input:$i){id}}',
      { i: { email, password: PASSWORD, role, siteId } },
      { token: root },
    );
    if (r.errors) throw new Error(`createUser failed: ${JSON.stringify(r.errors)}`);
    tokens[role] = await t.login(email, PASSWORD);
  }
  return {
    siteId,
    adminToken: tokens.SITE_ADMIN!,
    operatorToken: tokens.OPERATOR!,
    customerToken: tokens.CUSTOMER!,
    adminEmail: `site_admin@${slug}.test`,
  };
}
