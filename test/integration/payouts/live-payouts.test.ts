import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config.js';
import { reconcilePayouts } from '../../../src/services/payouts/reconcile.js';
import { generateSigningKey, signFireblocksWebhook } from '../../../src/services/payouts/webhook-signer.js';
import { unlockDueReleases } from '../../../src/services/vesting/unlock-releases.js';
import { startFireblocksFake, type FireblocksFake } from '../../support/fireblocks-fake.js';
import { ETH_PAYOUT, openSale, type Sale } from '../../support/sale.js';
import { createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';

const API_KEY = 'live-test-api-key';
const VAULT = '7';
const KEYS = generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs8', format: 'pem' } });

describe('LIVE payouts (the real @fireblocks/ts-sdk against a local Fireblocks)', () => {
  let fake: FireblocksFake;
  let t: TestApp;
  let site: SiteFixture;
  let sale: Sale;
  let webhookKey: Awaited<ReturnType<typeof generateSigningKey>>;
  const sql = async <T>(q: string, params: unknown[] = []) => t.app.db.orm.em.fork().getConnection().execute<T[]>(q, params);

  const unlockedRelease = async () => {
    const r = await t.gql<{ createOrder: { id: string } }>('mutation($i: CreateOrderInput!) { createOrder(input: $i) { id } }', { i: { network: 'ETHEREUM', amount: '10', payoutAddress: ETH_PAYOUT, planId: sale.planId } }, { token: site.customerToken });
    await t.gql('mutation($id: ID!) { confirmOrderManually(id: $id, reason: "paid") { id } }', { id: r.data!.createOrder.id }, { token: site.adminToken });
    await unlockDueReleases(t.app.deps, new Date(), new Date(Date.now() + 5000));
    const [row] = await sql<{ id: string; external_tx_id: string }>(`select r.id, r.external_tx_id from vesting_release r join allocation a on a.id = r.allocation_id where a.order_id = ? and r.status = 'UNLOCKED'`, [r.data!.createOrder.id]);
    return { id: row!.id, externalTxId: row!.external_tx_id };
  };
  const batch = (ids: string[]) => t.gql<{ releaseBatch: { mode: string; submitted: { id: string }[] } }>('mutation($ids: [ID!]!) { releaseBatch(releaseIds: $ids) { mode submitted { id } } }', { ids }, { token: site.adminToken });
  /** Fireblocks' webhook for a transaction, signed v2 with the key of the JWKS the server was given. */
  const webhook = async (tx: { id: string; externalTxId: string; status: string; txHash?: string }) => {
    const body = Buffer.from(JSON.stringify({ id: `evt-${tx.id}-${tx.status}`, eventType: 'transaction.status.updated', createdAt: Date.now(), data: tx }));
    const s = await signFireblocksWebhook(body, webhookKey);
    return fetch(`${t.url}/webhooks/fireblocks`, { method: 'POST', headers: { 'content-type': 'application/json', 'fireblocks-webhook-signature': s.v2 }, body });
  };

  beforeAll(async () => {
    fake = await startFireblocksFake({ apiKey: API_KEY, publicKeyPem: KEYS.publicKey, vaultAccountIds: [VAULT] });
    webhookKey = await generateSigningKey('fireblocks-test-kid');
    const jwksFile = join(mkdtempSync(join(tmpdir(), 'vl-jwks-')), 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [webhookKey.publicJwk] }));
    t = await startTestApp(
      {
        WALLET_POOL_MIN_AVAILABLE: '0',
        PAYOUT_MODE: 'LIVE',
        ALLOW_PROD_TX: '1',
        FIREBLOCKS_API_KEY: API_KEY,
        FIREBLOCKS_SECRET_KEY: KEYS.privateKey,
        FIREBLOCKS_VAULT_ACCOUNT_ID: VAULT,
        FIREBLOCKS_BASE_URL: fake.basePath,
        FIREBLOCKS_JWKS_FILE: jwksFile,
        // Custody calls time out after 1 s here, so a delayed answer is a timeout.
        CHAIN_READ_TIMEOUT_MS: '1000',
      },
      { argv: ['--role=api'] },
    );
    site = await createSiteFixture(t, 'live-payouts');
    sale = await openSale(t, site, { wallets: 10, slug: 'live-payouts' });
  }, 60_000);
  afterAll(async () => {
    await t?.stop();
    await fake?.stop();
  });

  it('refuses to start LIVE without both switches and the credentials, naming what is missing', () => {
    expect(() => loadConfig({ NODE_ENV: 'test', PAYOUT_MODE: 'LIVE', FIREBLOCKS_API_KEY: 'k', FIREBLOCKS_SECRET_KEY: KEYS.privateKey, FIREBLOCKS_VAULT_ACCOUNT_ID: '1' })).toThrow(/ALLOW_PROD_TX=1/);
    expect(() => loadConfig({ NODE_ENV: 'test', PAYOUT_MODE: 'LIVE', ALLOW_PROD_TX: '1' })).toThrow(/FIREBLOCKS_API_KEY, FIREBLOCKS_SECRET_KEY, FIREBLOCKS_VAULT_ACCOUNT_ID/);
  });

  it('creates the transaction at Fireblocks (authenticated, exact body), and a signed COMPLETED webhook releases it', async () => {
    const rel = await unlockedRelease();
    const r = await batch([rel.id]);
    expect(r.data!.releaseBatch).toMatchObject({ mode: 'LIVE', submitted: [{ id: rel.id }] });
    const created = fake.transaction(rel.externalTxId)!;
    expect(created).toMatchObject({ assetId: 'SALE_ETH', sourceVaultAccountId: VAULT, destinationType: 'ONE_TIME_ADDRESS', destination: ETH_PAYOUT, amount: '20', idempotencyKey: rel.externalTxId });
    const post = fake.requests.find((q) => q.method === 'POST' && (q.body as { externalTxId?: string }).externalTxId === rel.externalTxId)!;
    expect(post.authOk).toBe(true);
    expect(await sql('select custody_tx_id from vesting_release where id = ?', [rel.id])).toEqual([{ custody_tx_id: created.id }]);
    expect((await webhook({ id: created.id, externalTxId: rel.externalTxId, status: 'COMPLETED', txHash: '0xfeed' })).status).toBe(200);
    expect(await sql('select status, tx_hash from vesting_release where id = ?', [rel.id])).toEqual([{ status: 'RELEASED', tx_hash: '0xfeed' }]);
  });

  it('leaves a release PROCESSING when Fireblocks answers 429, sends nothing twice, and reconcile resolves it by lookup', async () => {
    const rel = await unlockedRelease();
    fake.failNext(1, 429);
    await batch([rel.id]);
    expect(await sql('select status, custody_tx_id from vesting_release where id = ?', [rel.id])).toEqual([{ status: 'PROCESSING', custody_tx_id: null }]);
    expect(fake.requests.filter((q) => q.method === 'POST' && (q.body as { externalTxId?: string }).externalTxId === rel.externalTxId)).toHaveLength(1);
    expect(fake.transaction(rel.externalTxId)).toBeUndefined();
    await sql(`update vesting_release set processing_since = now() - interval '1 hour' where id = ?`, [rel.id]);
    // Lookup first: nothing at Fireblocks, so it is submitted, once.
    expect(await reconcilePayouts(t.app.deps, new Date(Date.now() + 10_000))).toMatchObject({ checked: 1, resubmitted: 1 });
    expect(fake.transactions().filter((x) => x.externalTxId === rel.externalTxId)).toHaveLength(1);
    const lookups = fake.requests.filter((q) => q.method === 'GET' && q.path.includes(encodeURIComponent(rel.externalTxId)));
    expect(lookups.length).toBe(1);
  });

  it('pays a release again after Fireblocks FAILED it: retryRelease keeps its externalTxId, the next batch creates a new transaction under the next attempt key (Fireblocks refuses a used one forever), and a late event of the failed attempt changes nothing', async () => {
    const rel = await unlockedRelease();
    await batch([rel.id]);
    const first = fake.transaction(rel.externalTxId)!;
    fake.setStatus(rel.externalTxId, 'FAILED');
    expect((await webhook({ id: first.id, externalTxId: rel.externalTxId, status: 'FAILED' })).status).toBe(200);
    expect(await sql('select status from vesting_release where id = ?', [rel.id])).toEqual([{ status: 'FAILED' }]);
    const retried = await t.gql<{ retryRelease: { status: string; externalTxId: string } }>('mutation($id: ID!) { retryRelease(id: $id) { status externalTxId } }', { id: rel.id }, { token: site.adminToken });
    expect(retried.data!.retryRelease).toEqual({ status: 'UNLOCKED', externalTxId: rel.externalTxId });

    await batch([rel.id]);
    const attemptKey = `vl-r1-${rel.externalTxId.slice('vl-rel-'.length)}`;
    const second = fake.transaction(attemptKey)!;
    expect(second).toMatchObject({ externalTxId: attemptKey, idempotencyKey: attemptKey, amount: '20', destination: ETH_PAYOUT });
    expect(second.id).not.toBe(first.id);
    expect(await sql('select status, custody_tx_id from vesting_release where id = ?', [rel.id])).toEqual([{ status: 'PROCESSING', custody_tx_id: second.id }]);
    // The first attempt is never created again.
    expect(fake.transactions().filter((x) => x.externalTxId === rel.externalTxId)).toHaveLength(1);

    // A late status of the failed attempt (another event id) is stored, not applied to the new attempt.
    expect((await webhook({ id: first.id, externalTxId: rel.externalTxId, status: 'CANCELLED' })).status).toBe(200);
    expect(await sql('select status from vesting_release where id = ?', [rel.id])).toEqual([{ status: 'PROCESSING' }]);

    expect((await webhook({ id: second.id, externalTxId: attemptKey, status: 'COMPLETED', txHash: '0xcafe' })).status).toBe(200);
    expect(await sql('select status, tx_hash, external_tx_id from vesting_release where id = ?', [rel.id])).toEqual([{ status: 'RELEASED', tx_hash: '0xcafe', external_tx_id: rel.externalTxId }]);
  });

  it('settles by lookup when the transaction exists but its webhook never came (no second transaction)', async () => {
    const rel = await unlockedRelease();
    fake.delayNext(1, 1500); // created at once, answered after our 1 s timeout: we do not know it was created
    await batch([rel.id]);
    expect(await sql('select status, custody_tx_id from vesting_release where id = ?', [rel.id])).toEqual([{ status: 'PROCESSING', custody_tx_id: null }]);
    await new Promise((r) => setTimeout(r, 700));
    fake.setStatus(rel.externalTxId, 'COMPLETED', { txHash: '0xbeef' });
    await sql(`update vesting_release set processing_since = now() - interval '1 hour' where id = ?`, [rel.id]);
    expect(await reconcilePayouts(t.app.deps, new Date(Date.now() + 10_000))).toMatchObject({ settled: 1, resubmitted: 0 });
    expect(await sql('select status, tx_hash from vesting_release where id = ?', [rel.id])).toEqual([{ status: 'RELEASED', tx_hash: '0xbeef' }]);
    expect(fake.transactions().filter((x) => x.externalTxId === rel.externalTxId)).toHaveLength(1);
  }, 20_000);
});
