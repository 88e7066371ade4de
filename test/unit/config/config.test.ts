import { ConfigError, configSpec, loadConfig, parseRole } from '../../../src/config.js';
import { renderConfigReference } from '../../../src/config-docs.js';

const PROD_MIN = { NODE_ENV: 'production', JWT_SECRET: 's'.repeat(32), DATABASE_URL: 'postgres://u:p@db:5432/v', WALLET_MASTER_KEYS: `1:${Buffer.alloc(32, 7).toString('base64')}`, METRICS_TOKEN: 'm'.repeat(16) };

function problems(env: Record<string, string>, argv: string[] = []): string[] {
  try {
    loadConfig(env, argv);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

describe('loadConfig', () => {
  it('gives development safe defaults, a generated JWT secret, and says it generated it', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({ mode: 'development', HOST: '127.0.0.1', PORT: 4000, MIGRATE_ON_START: true, role: 'all', DATABASE_URL: undefined });
    expect(c.JWT_SECRET.length).toBeGreaterThanOrEqual(32);
    expect(loadConfig({}).JWT_SECRET).not.toBe(c.JWT_SECRET);
    expect(c.defaultedSecrets).toEqual(['JWT_SECRET', 'WALLET_MASTER_KEYS']);
  });

  it('needs every secret in production and names each missing one', () => {
    const p = problems({ NODE_ENV: 'production' });
    expect(p.join('\n')).toMatch(/JWT_SECRET is required in production/);
    expect(p.join('\n')).toMatch(/DATABASE_URL is required in production/);
    expect(problems(PROD_MIN)).toEqual([]);
    const c = loadConfig(PROD_MIN);
    expect(c).toMatchObject({ isProduction: true, HOST: '0.0.0.0', MIGRATE_ON_START: false, defaultedSecrets: [] });
    expect(c.BOOTSTRAP_ADMIN_EMAIL).toBeUndefined();
  });

  it('keeps /metrics closed in production: METRICS_TOKEN is required there, optional in development', () => {
    const { METRICS_TOKEN: _token, ...withoutToken } = PROD_MIN;
    expect(problems(withoutToken).join('\n')).toMatch(/METRICS_TOKEN is required in production/);
    expect(problems({})).toEqual([]);
  });

  it('reports every malformed value at once', () => {
    const p = problems({ PORT: '70000', TRUST_PROXY: 'maybe', LOG_LEVEL: 'loud', PASSWORD_SCRYPT_N: '1000', DATABASE_URL: 'mysql://x', JWT_SECRET: 'short' });
    expect(p.map((x) => x.split(' ')[0])).toEqual(expect.arrayContaining(['PORT', 'TRUST_PROXY', 'LOG_LEVEL', 'PASSWORD_SCRYPT_N', 'DATABASE_URL', 'JWT_SECRET']));
    expect(p.join('\n')).not.toContain('short');
  });

  it('refuses a malformed WALLET_MASTER_KEYS without printing it, and requires it in production', () => {
    const bad = `1:${Buffer.alloc(16, 1).toString('base64')}`;
    const p = problems({ WALLET_MASTER_KEYS: bad });
    expect(p.join()).toMatch(/WALLET_MASTER_KEYS entry 1 is not/);
    expect(p.join()).not.toContain(bad.slice(2));
    expect(problems({ ...PROD_MIN, WALLET_MASTER_KEYS: '' }).join()).toMatch(/WALLET_MASTER_KEYS is required in production/);
    const keys = loadConfig({ WALLET_MASTER_KEYS: `2:${Buffer.alloc(32, 2).toString('base64')},1:${Buffer.alloc(32, 1).toString('base64')}` }).WALLET_MASTER_KEYS;
    expect(keys.map((k) => k.version)).toEqual([2, 1]);
  });

  it('refuses the public development master key in production', () => {
    const devKey = loadConfig({}).WALLET_MASTER_KEYS[0]!.key.toString('base64');
    expect(problems({ ...PROD_MIN, WALLET_MASTER_KEYS: `2:${Buffer.alloc(32, 3).toString('base64')},1:${devKey}` }).join()).toMatch(/public development key/);
  });

  it('requires both bootstrap variables together in production', () => {
    expect(problems({ ...PROD_MIN, BOOTSTRAP_ADMIN_EMAIL: 'a@b.co' }).join()).toMatch(/must be set together/);
    expect(problems({ ...PROD_MIN, BOOTSTRAP_ADMIN_EMAIL: 'a@b.co', BOOTSTRAP_ADMIN_PASSWORD: 'long-enough-password' })).toEqual([]);
  });

  it('parses booleans and treats empty strings as unset', () => {
    expect(loadConfig({ TRUST_PROXY: '1', MIGRATE_ON_START: '0', PORT: '' })).toMatchObject({ TRUST_PROXY: 1, MIGRATE_ON_START: false, PORT: 4000 });
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).TRUST_PROXY).toEqual(['loopback', '10.0.0.0/8']);
    expect(loadConfig({}).TRUST_PROXY).toBe(false);
    expect(problems({ TRUST_PROXY: 'true' }).join()).toMatch(/TRUST_PROXY must be false, a hop count/);
  });

  it('parses --role and refuses unknown roles', () => {
    expect(parseRole(['--role=worker'])).toBe('worker');
    expect(parseRole([])).toBe('all');
    expect(problems({}, ['--role=boss']).join()).toMatch(/--role must be api, worker or all/);
  });
});

describe('configuration reference', () => {
  it('documents every variable of the schema', () => {
    const doc = renderConfigReference();
    for (const name of Object.keys(configSpec)) expect(doc).toContain(`| \`${name}\` |`);
  });
});
