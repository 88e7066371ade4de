import { Wallet as EthersWallet } from 'ethers';
import { TronWeb } from 'tronweb';
import { Network } from '../../../src/entities/enums.js';
import { keyring } from '../../../src/services/wallet-keys/master-keys.js';
import { withWalletKey } from '../../../src/services/wallet-keys/wallet-key-cipher.js';
import { createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';

const UPSERT = `mutation($i: AssetInput!) { upsertAsset(input: $i) { id network symbol decimals contractAddress purpose custodyAssetId confirmationsRequired active } }`;
const GENERATE = `mutation($n: Network!, $c: Int!, $p: String) { generateWallets(network: $n, count: $c, labelPrefix: $p) { id network address label status balance createdAt } }`;
const IMPORT = `mutation($n: Network!, $k: String!, $l: String) { importWallet(network: $n, privateKey: $k, label: $l) { id network address label status } }`;
const SET_STATUS = `mutation($id: ID!, $s: WalletStatus!) { setWalletStatus(id: $id, status: $s) { id status } }`;
const WALLETS = `query($f: WalletFilter, $first: Int, $after: String) { wallets(filter: $f, first: $first, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { cursor node { id address status network } } } }`;
const STATS = `{ walletPoolStats { network available allocated coolingDown disabled } }`;

const USDT_ERC20 = '0xdAC17F958D2ee523a2206206994597C13D831ec7';
const USDT_TRC20 = 'TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t';

let t: TestApp;
let a: SiteFixture;
let b: SiteFixture;

const rows = async (sql: string, params: unknown[] = []) => t.app.db.orm.em.fork().getConnection().execute<Record<string, unknown>[]>(sql, params);
const count = async (table: string) => Number((await rows(`select count(*) as n from ${table}`))[0]!.n);

beforeAll(async () => {
  t = await startTestApp();
  a = await createSiteFixture(t, 'wallets-a');
  b = await createSiteFixture(t, 'wallets-b');
});
afterAll(() => t.stop());

describe('assets', () => {
  const usdt = { network: 'ETHEREUM', symbol: 'USDT', decimals: 6, contractAddress: USDT_ERC20.toLowerCase(), purpose: 'PAYMENT', confirmationsRequired: 12, active: true };

  it('creates an asset with a canonical contract address, then updates it in place', async () => {
    const created = await t.gql<{ upsertAsset: { id: string; contractAddress: string } }>(UPSERT, { i: usdt }, { token: a.adminToken });
    expect(created.errors).toBeUndefined();
    expect(created.data!.upsertAsset.contractAddress).toBe(USDT_ERC20);
    const updated = await t.gql<{ upsertAsset: { id: string; confirmationsRequired: number; custodyAssetId: string } }>(
      UPSERT,
      { i: { ...usdt, contractAddress: USDT_ERC20, confirmationsRequired: 20, custodyAssetId: 'USDT_ERC20' } },
      { token: a.adminToken },
    );
    expect(updated.data!.upsertAsset).toMatchObject({ id: created.data!.upsertAsset.id, confirmationsRequired: 20, custodyAssetId: 'USDT_ERC20' });
    const list = await t.gql<{ assets: { id: string }[] }>('{ assets(network: ETHEREUM, purpose: PAYMENT) { id } }', {}, { token: a.customerToken });
    expect(list.data!.assets.map((x) => x.id)).toEqual([created.data!.upsertAsset.id]);
    const other = await t.gql<{ assets: unknown[] }>('{ assets { id } }', {}, { token: b.customerToken });
    expect(other.data!.assets).toEqual([]);
  });

  it('refuses to change the decimals of an existing asset (CONFLICT) and writes nothing', async () => {
    const before = await count('audit_entry');
    const r = await t.gql(UPSERT, { i: { ...usdt, decimals: 18 } }, { token: a.adminToken });
    expect(r.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', reason: 'DECIMALS_LOCKED' });
    expect(await count('audit_entry')).toBe(before);
  });

  it.each([
    ['a TRON contract on Ethereum', { ...usdt, contractAddress: USDT_TRC20 }],
    ['a bad checksum', { ...usdt, contractAddress: '0xdac17F958D2ee523a2206206994597C13D831ec7' }],
    ['decimals 37', { ...usdt, decimals: 37, contractAddress: '0x0000000000000000000000000000000000000001' }],
    ['negative confirmations', { ...usdt, confirmationsRequired: -1 }],
    ['an empty symbol', { ...usdt, symbol: ' ' }],
  ])('refuses %s with BAD_USER_INPUT', async (_what, i) => {
    const before = await count('asset');
    const r = await t.gql(UPSERT, { i }, { token: a.adminToken });
    expect(r.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(await count('asset')).toBe(before);
  });

  it('makes exactly one row from many concurrent upserts of the same contract', async () => {
    const i = { ...usdt, network: 'TRON', contractAddress: USDT_TRC20 };
    const results = await Promise.all(Array.from({ length: 10 }, () => t.gql(UPSERT, { i }, { token: b.adminToken })));
    expect(results.every((r) => !r.errors)).toBe(true);
    expect(await rows(`select id from asset where contract_address = ? and site_id = ?`, [USDT_TRC20, b.siteId])).toHaveLength(1);
  });
});

describe('generateWallets', () => {
  it('generates valid addresses on both networks with sealed keys that open to the same address', async () => {
    const ring = keyring(t.app.config.WALLET_MASTER_KEYS);
    for (const [network, check] of [
      ['TRON', (addr: string, key: Buffer) => TronWeb.isAddress(addr) && TronWeb.address.fromPrivateKey(key.toString('hex')) === addr],
      ['ETHEREUM', (addr: string, key: Buffer) => new EthersWallet(`0x${key.toString('hex')}`).address === addr],
    ] as const) {
      const r = await t.gql<{ generateWallets: { id: string; address: string; label: string; status: string; balance: null }[] }>(GENERATE, { n: network, c: 5, p: 'batch' }, { token: a.adminToken });
      expect(r.errors).toBeUndefined();
      const wallets = r.data!.generateWallets;
      expect(wallets).toHaveLength(5);
      expect(new Set(wallets.map((w) => w.address)).size).toBe(5);
      expect(wallets.map((w) => w.label)).toEqual(['batch-1', 'batch-2', 'batch-3', 'batch-4', 'batch-5']);
      expect(wallets.every((w) => w.status === 'AVAILABLE' && w.balance === null)).toBe(true);
      for (const w of wallets) {
        const [row] = await rows('select sealed_key, key_version, network, address from wallet where id = ?', [w.id]);
        const ok = withWalletKey(
          { sealed: row!.sealed_key as Buffer, keyVersion: row!.key_version as number },
          { walletId: w.id, network: network as Network, address: w.address },
          ring,
          (key) => check(w.address, key),
        );
        expect(ok).toBe(true);
      }
    }
  });

  it.each([0, 501, -3])('refuses count %i with BAD_USER_INPUT and writes nothing', async (c) => {
    const before = await count('wallet');
    const r = await t.gql(GENERATE, { n: 'TRON', c }, { token: a.adminToken });
    expect(r.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(await count('wallet')).toBe(before);
  });

  it('accepts the maximum of 500 in one call', async () => {
    const r = await t.gql<{ generateWallets: unknown[] }>(GENERATE, { n: 'ETHEREUM', c: 500 }, { token: b.adminToken });
    expect(r.data!.generateWallets).toHaveLength(500);
  });
});

describe('importWallet', () => {
  it('imports by private key, derives the address, and refuses the same key twice (CONFLICT)', async () => {
    const w = EthersWallet.createRandom();
    const first = await t.gql<{ importWallet: { address: string; label: string } }>(IMPORT, { n: 'TRON', k: w.privateKey, l: 'cold' }, { token: a.adminToken });
    expect(first.data!.importWallet).toMatchObject({ address: TronWeb.address.fromPrivateKey(w.privateKey.slice(2)), label: 'cold' });
    const again = await t.gql(IMPORT, { n: 'TRON', k: w.privateKey.slice(2).toUpperCase() }, { token: a.adminToken });
    expect(again.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', reason: 'DUPLICATE_WALLET' });
    // The same key in another site is the same address: still one wallet only.
    const elsewhere = await t.gql(IMPORT, { n: 'TRON', k: w.privateKey }, { token: b.adminToken });
    expect(elsewhere.errors![0]!.extensions!.code).toBe('CONFLICT');
    // The same key on the other network is another address and may be imported.
    const eth = await t.gql<{ importWallet: { address: string } }>(IMPORT, { n: 'ETHEREUM', k: w.privateKey }, { token: a.adminToken });
    expect(eth.data!.importWallet.address).toBe(w.address);
  });

  it('lets only one of many concurrent imports of one key win', async () => {
    const w = EthersWallet.createRandom();
    const results = await Promise.all(Array.from({ length: 8 }, () => t.gql(IMPORT, { n: 'ETHEREUM', k: w.privateKey }, { token: a.adminToken })));
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => r.errors?.[0]?.extensions?.code === 'CONFLICT')).toHaveLength(7);
  });

  const n = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
  it.each([
    ['too short', 'ab'.repeat(20)],
    ['not hex', 'xy'.repeat(32)],
    ['zero', '0'.repeat(64)],
    ['above the curve order', (n + 5n).toString(16)],
  ])('refuses a key that is %s with BAD_USER_INPUT, writes nothing and never echoes it', async (_what, k) => {
    const before = await count('wallet');
    const r = await t.gql(IMPORT, { n: 'ETHEREUM', k }, { token: a.adminToken });
    expect(r.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'privateKey' });
    expect(JSON.stringify(r)).not.toContain(k);
    expect(await count('wallet')).toBe(before);
  });
});

describe('wallet status, listing and isolation', () => {
  let walletId: string;
  beforeAll(async () => {
    const r = await t.gql<{ generateWallets: { id: string }[] }>(GENERATE, { n: 'TRON', c: 3 }, { token: a.adminToken });
    walletId = r.data!.generateWallets[0]!.id;
  });

  it('disables and re-enables a wallet, audited, and is idempotent', async () => {
    const off = await t.gql<{ setWalletStatus: { status: string } }>(SET_STATUS, { id: walletId, s: 'DISABLED' }, { token: a.adminToken });
    expect(off.data!.setWalletStatus.status).toBe('DISABLED');
    expect((await t.gql(SET_STATUS, { id: walletId, s: 'DISABLED' }, { token: a.adminToken })).errors).toBeUndefined();
    const on = await t.gql<{ setWalletStatus: { status: string } }>(SET_STATUS, { id: walletId, s: 'AVAILABLE' }, { token: a.adminToken });
    expect(on.data!.setWalletStatus.status).toBe('AVAILABLE');
    const audit = await rows(`select details from audit_entry where action = 'wallet.status_changed' and target_id = ? order by at`, [walletId]);
    expect(audit.map((x) => x.details)).toEqual([{ from: 'AVAILABLE', to: 'DISABLED' }, { from: 'DISABLED', to: 'AVAILABLE' }]);
  });

  it('refuses DISABLED on an ALLOCATED wallet (CONFLICT) and setting order-flow states by hand', async () => {
    await rows(`update wallet set status = 'ALLOCATED', current_order_id = gen_random_uuid() where id = ?`, [walletId]);
    const r = await t.gql(SET_STATUS, { id: walletId, s: 'DISABLED' }, { token: a.adminToken });
    expect(r.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', reason: 'WALLET_STATUS_CONFLICT' });
    expect((await rows('select status from wallet where id = ?', [walletId]))[0]!.status).toBe('ALLOCATED');
    for (const s of ['ALLOCATED', 'COOLING_DOWN']) {
      expect((await t.gql(SET_STATUS, { id: walletId, s }, { token: a.adminToken })).errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    }
  });

  it('keeps a running cool-down when a wallet is disabled and re-enabled', async () => {
    const r = await t.gql<{ generateWallets: { id: string }[] }>(GENERATE, { n: 'TRON', c: 1 }, { token: a.adminToken });
    const id = r.data!.generateWallets[0]!.id;
    await rows(`update wallet set status = 'COOLING_DOWN', cooling_down_until = now() + interval '30 minutes' where id = ?`, [id]);
    expect((await t.gql<{ setWalletStatus: { status: string } }>(SET_STATUS, { id, s: 'DISABLED' }, { token: a.adminToken })).data!.setWalletStatus.status).toBe('DISABLED');
    const back = await t.gql<{ setWalletStatus: { status: string } }>(SET_STATUS, { id, s: 'AVAILABLE' }, { token: a.adminToken });
    expect(back.data!.setWalletStatus.status).toBe('COOLING_DOWN');
    const [row] = await rows('select cooling_down_until > now() as resting from wallet where id = ?', [id]);
    expect(row!.resting).toBe(true);
    // Once the cool-down is over, re-enabling a disabled wallet makes it AVAILABLE.
    await rows(`update wallet set status = 'DISABLED', cooling_down_until = now() - interval '1 second' where id = ?`, [id]);
    expect((await t.gql<{ setWalletStatus: { status: string } }>(SET_STATUS, { id, s: 'AVAILABLE' }, { token: a.adminToken })).data!.setWalletStatus.status).toBe('AVAILABLE');
  });

  it('answers a malformed wallet id like a missing one', async () => {
    const r = await t.gql(SET_STATUS, { id: 'abc', s: 'DISABLED' }, { token: a.adminToken });
    expect(r.errors![0]!.extensions!.code).toBe('NOT_FOUND');
  });

  it("treats another site's wallet as missing (NOT_FOUND) and lists only the caller's", async () => {
    const r = await t.gql(SET_STATUS, { id: walletId, s: 'DISABLED' }, { token: b.adminToken });
    expect(r.errors![0]!.extensions!.code).toBe('NOT_FOUND');
    const missing = await t.gql(SET_STATUS, { id: '00000000-0000-4000-8000-00000000abcd', s: 'DISABLED' }, { token: b.adminToken });
    expect(missing.errors![0]!.message).toBe(r.errors![0]!.message);
    const list = await t.gql<{ wallets: { edges: { node: { id: string } }[] } }>(WALLETS, { first: 100 }, { token: b.operatorToken });
    expect(list.data!.wallets.edges.some((e) => e.node.id === walletId)).toBe(false);
  });

  it('pages and filters the wallet list', async () => {
    const all = await t.gql<{ wallets: { totalCount: number } }>(WALLETS, { f: { network: 'TRON' } }, { token: a.operatorToken });
    const total = all.data!.wallets.totalCount;
    const seen: string[] = [];
    let after: string | null = null;
    do {
      type Page = { wallets: { pageInfo: { hasNextPage: boolean; endCursor: string }; edges: { node: { id: string; network: string } }[] } };
      const page: Awaited<ReturnType<typeof t.gql<Page>>> = await t.gql<Page>(WALLETS, { f: { network: 'TRON' }, first: 4, after }, { token: a.operatorToken });
      seen.push(...page.data!.wallets.edges.map((e) => e.node.id));
      expect(page.data!.wallets.edges.every((e) => e.node.network === 'TRON')).toBe(true);
      after = page.data!.wallets.pageInfo.hasNextPage ? page.data!.wallets.pageInfo.endCursor : null;
    } while (after);
    expect(new Set(seen).size).toBe(total);
    const allocated = await t.gql<{ wallets: { edges: { node: { id: string } }[] } }>(WALLETS, { f: { status: ['ALLOCATED'] } }, { token: a.adminToken });
    expect(allocated.data!.wallets.edges.map((e) => e.node.id)).toEqual([walletId]);
  });

  it('counts the pool per network', async () => {
    const r = await t.gql<{ walletPoolStats: { network: string; available: number; allocated: number; disabled: number }[] }>(STATS, {}, { token: a.operatorToken });
    const byNet = Object.fromEntries(r.data!.walletPoolStats.map((s) => [s.network, s]));
    const db = await rows(`select network, status, count(*)::int as n from wallet where site_id = ? group by 1, 2`, [a.siteId]);
    const expected = (net: string, st: string) => (db.find((x) => x.network === net && x.status === st)?.n as number) ?? 0;
    for (const net of ['TRON', 'ETHEREUM']) {
      expect(byNet[net]).toMatchObject({ available: expected(net, 'AVAILABLE'), allocated: expected(net, 'ALLOCATED'), disabled: expected(net, 'DISABLED') });
    }
    expect(byNet.TRON!.allocated).toBe(1);
  });
});

describe('key material', () => {
  it('never appears in API answers, audit details or logs', async () => {
    const keys = [EthersWallet.createRandom().privateKey, EthersWallet.createRandom().privateKey];
    const answers: string[] = [];
    for (const k of keys) answers.push(JSON.stringify(await t.gql(IMPORT, { n: 'ETHEREUM', k }, { token: a.adminToken })));
    answers.push(JSON.stringify(await t.gql(WALLETS, { first: 100 }, { token: a.adminToken })));
    const audit = JSON.stringify(await rows('select details from audit_entry'));
    const logs = t.logs.join('');
    for (const k of keys) {
      const hex = k.slice(2);
      for (const text of [answers.join(''), audit, logs]) {
        expect(text.toLowerCase()).not.toContain(hex);
        expect(text).not.toContain(Buffer.from(hex, 'hex').toString('base64'));
      }
    }
    // The import mutation's variables are redacted in the request log too.
    expect(logs).not.toMatch(/privateKey":"0x/);
  });
});
