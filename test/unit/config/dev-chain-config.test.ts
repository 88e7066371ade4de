import { ConfigError, loadConfig } from '../../../src/config.js';

const PROD_MIN = { NODE_ENV: 'production', JWT_SECRET: 's'.repeat(32), DATABASE_URL: 'postgres://u:p@db:5432/v', WALLET_MASTER_KEYS: `1:${Buffer.alloc(32, 7).toString('base64')}`, METRICS_TOKEN: 'm'.repeat(16) };

function problems(env: Record<string, string>, argv: string[] = [], opts = {}): string[] {
  try {
    loadConfig(env, argv, opts);
    return [];
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
}

describe('DEV_CHAIN', () => {
  it('defaults to anvil in development without ETH_RPC_URL, and says it was a default', () => {
    const c = loadConfig({});
    expect(c.DEV_CHAIN).toBe('anvil');
    expect(c.DEV_CHAIN_DIR).toBe('.data/dev-chain');
    expect(c.defaulted).toContain('DEV_CHAIN');
    expect(loadConfig({ DEV_CHAIN: 'anvil' }).defaulted).not.toContain('DEV_CHAIN');
  });

  it('defaults to off with ETH_RPC_URL, under test, in production, and for split roles', () => {
    expect(loadConfig({ ETH_RPC_URL: 'http://127.0.0.1:8545' }).DEV_CHAIN).toBe('off');
    expect(loadConfig({ NODE_ENV: 'test' }).DEV_CHAIN).toBe('off');
    expect(loadConfig(PROD_MIN).DEV_CHAIN).toBe('off');
    expect(loadConfig({}, ['--role=worker']).DEV_CHAIN).toBe('off');
    expect(loadConfig({}, ['--role=api']).DEV_CHAIN).toBe('off');
  });

  it('refuses anvil in production', () => {
    expect(problems({ ...PROD_MIN, DEV_CHAIN: 'anvil' }).join('\n')).toMatch(/DEV_CHAIN=anvil .* cannot run in production/);
    expect(problems({ ...PROD_MIN, DEV_CHAIN: 'off' })).toEqual([]);
  });

  it('refuses anvil next to an ETH_RPC_URL of its own, or with a split role, and values other than anvil/off', () => {
    expect(problems({ DEV_CHAIN: 'anvil', ETH_RPC_URL: 'http://127.0.0.1:8545' }).join('\n')).toMatch(/provides ETH_RPC_URL itself/);
    expect(problems({ DEV_CHAIN: 'anvil' }, ['--role=worker']).join('\n')).toMatch(/needs --role=all/);
    expect(problems({ DEV_CHAIN: 'hardhat' }).join('\n')).toMatch(/^DEV_CHAIN /m);
  });

  it("takes the started chain's URL as ETH_RPC_URL through the loader, only with anvil", () => {
    const c = loadConfig({}, [], { devChainRpcUrl: 'ws://127.0.0.1:40000' });
    expect(c).toMatchObject({ DEV_CHAIN: 'anvil', ETH_RPC_URL: 'ws://127.0.0.1:40000' });
    expect(Object.isFrozen(c)).toBe(true);
    expect(problems({ DEV_CHAIN: 'off' }, [], { devChainRpcUrl: 'ws://127.0.0.1:40000' }).join()).toMatch(/DEV_CHAIN is not anvil/);
  });
});
