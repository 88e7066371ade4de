import { generateSigningKey, signFireblocksWebhook } from '../../../src/services/payouts/webhook-signer.js';
import type { CustodyPort } from '../../../src/services/payouts/custody-port.js';
import { reconcilePayouts } from '../../../src/services/payouts/reconcile.js';
import { unlockDueReleases } from '../../../src/services/vesting/unlock-releases.js';
import { ETH_PAYOUT, openSale, type Sale } from '../../support/sale.js';
import { createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';

const BATCH = 'mutation($ids: [ID!]!) { releaseBatch(releaseIds: $ids) { mode submitted { id status externalTxId } skipped { releaseId reason } } }';
const RETRY = 'mutation($id: ID!) { retryRelease(id: $id) { id status externalTxId } }';
type Batch = { releaseBatch: { mode: string; submitted: { id: string; status: string; externalTxId: string }[]; skipped: { releaseId: string; reason: string }[] } };

describe('payouts through MOCK custody', () => {
  let t: TestApp;
  let site: SiteFixture;
  let other: SiteFixture;
  let sale: Sale;
  const sql = async <T>(q: string, params: unknown[] = []) => t.app.db.orm.em.fork().getConnection().execute<T[]>(q, params);
  const mock = () => t.app.deps.payouts.mock!;

  /** A paid order's allocation with its TGE release unlocked; returns the unlocked release's id and external id. */
  const unlockedRelease = async (): Promise<{ id: string; externalTxId: string; allocationId: string }> => {
    const r = await t.gql<{ createOrder: { id: string } }>('mutation($i: CreateOrderInput!) { createOrder(input: $i) { id } }', { i: { network: 'ETHEREUM', amount: '10', payoutAddress: ETH_PAYOUT, planId: sale.planId } }, { token: site.customerToken });
    await t.gql('mutation($id: ID!) { confirmOrderManually(id: $id, reason: "paid") { id } }', { id: r.data!.createOrder.id }, { token: site.adminToken });
    await unlockDueReleases(t.app.deps, new Date(), new Date(Date.now() + 5000));
    const [row] = await sql<{ id: string; external_tx_id: string; allocation_id: string }>(
      `select r.id, r.external_tx_id, r.allocation_id from vesting_release r join allocation a on a.id = r.allocation_id where a.order_id = ? and r.status = 'UNLOCKED'`,
      [r.data!.createOrder.id],
    );
    return { id: row!.id, externalTxId: row!.external_tx_id, allocationId: row!.allocation_id };
  };
  const statusOf = async (id: string) => (await sql<{ status: string }>('select status from vesting_release where id = ?', [id]))[0]!.status;
  const waitStatus = async (id: string, status: string) => {
    const deadline = Date.now() + 10_000;
    while ((await statusOf(id)) !== status) {
      if (Date.now() > deadline) throw new Error(`release ${id} never ${status} (is ${await statusOf(id)})`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const batch = (ids: string[], token = site.adminToken) => t.gql<Batch>(BATCH, { ids }, { token });

  beforeAll(async () => {
    t = await startTestApp({ WALLET_POOL_MIN_AVAILABLE: '0', MOCK_CUSTODY_STEP_MS: '100' }, { argv: ['--role=api'] });
    site = await createSiteFixture(t, 'payouts');
    other = await createSiteFixture(t, 'payouts-other');
    sale = await openSale(t, site, { wallets: 40, slug: 'payouts' });
  }, 60_000);
  afterAll(() => t.stop());

  it('pays an UNLOCKED release: PROCESSING, custody transaction, signed webhooks over HTTP, RELEASED with the tx hash, allocation released amount', async () => {
    const rel = await unlockedRelease();
    expect((await t.gql<{ payoutMode: string }>('{ payoutMode }', {}, { token: site.operatorToken })).data!.payoutMode).toBe('MOCK');
    const r = await batch([rel.id]);
    expect(r.data!.releaseBatch).toMatchObject({ mode: 'MOCK', submitted: [{ id: rel.id, status: 'PROCESSING', externalTxId: rel.externalTxId }], skipped: [] });
    await waitStatus(rel.id, 'RELEASED');
    const [row] = await sql<{ tx_hash: string; custody_tx_id: string; released_at: Date | null }>('select tx_hash, custody_tx_id, released_at from vesting_release where id = ?', [rel.id]);
    expect(row!.tx_hash).toMatch(/^0x[0-9a-f]{64}$/);
    expect(row!.released_at).not.toBeNull();
    const [custody] = await sql<{ id: string; n: number }>('select id, count(*) over ()::int as n from mock_custody_tx where external_tx_id = ?', [rel.externalTxId]);
    expect(custody).toEqual({ id: row!.custody_tx_id, n: 1 });
    expect(await sql('select released_amount from allocation where id = ?', [rel.allocationId])).toEqual([{ released_amount: '20000000000000000000' }]);
    // Three signed events (created, confirming, completed) came through the real route and were stored once each.
    const events = await sql<{ status: string; outcome: string }>('select status, outcome from custody_event where external_tx_id = ? order by received_at', [rel.externalTxId]);
    expect(events.map((e) => e.status)).toEqual(['SUBMITTED', 'CONFIRMING', 'COMPLETED']);
    expect(events.at(-1)!.outcome).toBe('released');
    expect((await sql<{ action: string }>(`select action from audit_entry where target_id = ? order by at`, [rel.id])).map((a) => a.action)).toEqual(['release.released']);
  });

  it('refuses bad batches: 101 ids, another site’s release (not found), a LOCKED release (wrong status); only SITE_ADMIN', async () => {
    const ids = Array.from({ length: 101 }, () => crypto.randomUUID());
    expect((await batch(ids)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const rel = await unlockedRelease();
    const [locked] = await sql<{ id: string }>(`select id from vesting_release where allocation_id = ? and status = 'LOCKED' limit 1`, [rel.allocationId]);
    const theirs = await batch([rel.id], other.adminToken);
    expect(theirs.data!.releaseBatch).toMatchObject({ submitted: [], skipped: [{ releaseId: rel.id, reason: 'not found' }] });
    expect(await statusOf(rel.id)).toBe('UNLOCKED');
    expect((await batch([rel.id], site.operatorToken)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const r = await batch([locked!.id, 'not-a-uuid']);
    expect(r.data!.releaseBatch.skipped).toEqual([
      { releaseId: locked!.id, reason: 'wrong status: LOCKED' },
      { releaseId: 'not-a-uuid', reason: 'not found' },
    ]);
  });

  it('lets exactly one of two concurrent batches take a release, and never makes two custody transactions', async () => {
    const rel = await unlockedRelease();
    const [a, b] = await Promise.all([batch([rel.id]), batch([rel.id])]);
    const submitted = [...a.data!.releaseBatch.submitted, ...b.data!.releaseBatch.submitted];
    expect(submitted.map((s) => s.id)).toEqual([rel.id]);
    expect([...a.data!.releaseBatch.skipped, ...b.data!.releaseBatch.skipped]).toEqual([{ releaseId: rel.id, reason: 'already PROCESSING (another batch took it)' }]);
    await waitStatus(rel.id, 'RELEASED');
    expect(await sql('select count(*)::int as n from mock_custody_tx where external_tx_id = ?', [rel.externalTxId])).toEqual([{ n: 1 }]);
  });

  it('fails a release custody fails, with the reason; retryRelease puts it back UNLOCKED with the same externalTxId; the next batch pays it', async () => {
    const rel = await unlockedRelease();
    mock().failNext(rel.externalTxId);
    await batch([rel.id]);
    await waitStatus(rel.id, 'FAILED');
    expect(await sql('select failure_reason from vesting_release where id = ?', [rel.id])).toEqual([{ failure_reason: 'FAILED: INSUFFICIENT_FUNDS' }]);
    expect((await t.gql(RETRY, { id: rel.id }, { token: site.operatorToken })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const retried = await t.gql<{ retryRelease: { status: string; externalTxId: string } }>(RETRY, { id: rel.id }, { token: site.adminToken });
    expect(retried.data!.retryRelease).toEqual({ id: rel.id, status: 'UNLOCKED', externalTxId: rel.externalTxId });
    expect((await t.gql(RETRY, { id: rel.id }, { token: site.adminToken })).errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'RELEASE_STATUS_CONFLICT' });
    await batch([rel.id]);
    await waitStatus(rel.id, 'RELEASED');
    // The failed transaction stays as it was; the retry is a new one under the release's next attempt key.
    expect(await sql('select external_tx_id, fail from mock_custody_tx where external_tx_id like ? order by created_at', [`%${rel.externalTxId.slice('vl-rel-'.length)}`])).toEqual([
      { external_tx_id: rel.externalTxId, fail: true },
      { external_tx_id: `vl-r1-${rel.externalTxId.slice('vl-rel-'.length)}`, fail: false },
    ]);
  });

  it('retryRelease sends nothing again while custody has the transaction: a release custody paid is settled RELEASED, never paid twice', async () => {
    await sql(`delete from rate_limit_bucket where key like 'release-batch:%'`); // this test's batches, not the minute's earlier ones
    const rel = await unlockedRelease();
    await batch([rel.id]);
    // FAILED here by a refused resubmission, say, while custody in fact has the transaction (and completes it).
    await sql(`update vesting_release set status = 'FAILED', failure_reason = 'refused by custody: policy' where id = ?`, [rel.id]);
    await new Promise((r) => setTimeout(r, 500)); // the MOCK's COMPLETED (300 ms) came and was stale
    expect(await statusOf(rel.id)).toBe('FAILED');
    const retried = await t.gql<{ retryRelease: { status: string } }>(RETRY, { id: rel.id }, { token: site.adminToken });
    expect(retried.data!.retryRelease.status).toBe('RELEASED');
    expect(await sql('select custody_attempt, failure_reason, tx_hash is not null as hashed from vesting_release where id = ?', [rel.id])).toEqual([{ custody_attempt: 0, failure_reason: null, hashed: true }]);
    expect(await sql('select released_amount from allocation where id = ?', [rel.allocationId])).toEqual([{ released_amount: '20000000000000000000' }]);
    expect(await sql('select count(*)::int as n from mock_custody_tx where external_tx_id like ?', [`%${rel.externalTxId.slice('vl-rel-'.length)}`])).toEqual([{ n: 1 }]);
    // Nothing left to retry.
    expect((await t.gql(RETRY, { id: rel.id }, { token: site.adminToken })).errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'RELEASE_STATUS_CONFLICT' });
  });

  it('retryRelease refuses, changing nothing, when custody does not answer', async () => {
    const rel = await unlockedRelease();
    await sql(`update vesting_release set status = 'FAILED' where id = ?`, [rel.id]);
    const custody = t.app.deps.payouts.custody;
    const lookup = custody.lookup;
    custody.lookup = async () => {
      throw new Error('custody is down');
    };
    try {
      const r = await t.gql(RETRY, { id: rel.id }, { token: site.adminToken });
      expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', reason: 'CUSTODY_UNCONFIRMED' });
    } finally {
      custody.lookup = lookup;
    }
    expect(await sql('select status, custody_attempt from vesting_release where id = ?', [rel.id])).toEqual([{ status: 'FAILED', custody_attempt: 0 }]);
  });

  it('retryRelease of a release custody never had keeps its key: the next batch sends the same externalTxId', async () => {
    await sql(`delete from rate_limit_bucket where key like 'release-batch:%'`); // this test's batches, not the minute's earlier ones
    const rel = await unlockedRelease();
    // Custody refused the submission (no custody asset id): nothing was created there.
    await sql(`update asset set custody_asset_id = null where id = (select asset_id from allocation where id = ?)`, [rel.allocationId]);
    await batch([rel.id]);
    await sql(`update asset set custody_asset_id = 'SALE_ETH' where id = (select asset_id from allocation where id = ?)`, [rel.allocationId]);
    expect(await statusOf(rel.id)).toBe('FAILED');
    expect((await t.gql<{ retryRelease: { status: string } }>(RETRY, { id: rel.id }, { token: site.adminToken })).data!.retryRelease.status).toBe('UNLOCKED');
    expect(await sql('select custody_attempt from vesting_release where id = ?', [rel.id])).toEqual([{ custody_attempt: 0 }]);
    await batch([rel.id]);
    await waitStatus(rel.id, 'RELEASED');
    expect(await sql('select external_tx_id from mock_custody_tx where external_tx_id like ?', [`%${rel.externalTxId.slice('vl-rel-'.length)}`])).toEqual([{ external_tx_id: rel.externalTxId }]);
  });

  it('reconcile never applies an earlier attempt’s answer to the current attempt (the release was retried while reconcile looked it up)', async () => {
    await sql(`delete from rate_limit_bucket where key like 'release-batch:%'`); // this test's batches, not the minute's earlier ones
    const rel = await unlockedRelease();
    mock().failNext(rel.externalTxId);
    await batch([rel.id]);
    await waitStatus(rel.id, 'FAILED');
    // As reconcile found it: PROCESSING at attempt 0, stuck (its FAILED webhook not applied yet).
    await sql(`update vesting_release set status = 'PROCESSING', failure_reason = null, processing_since = now() - interval '1 hour' where id = ?`, [rel.id]);
    const custody = t.app.deps.payouts.custody;
    const racing: CustodyPort = {
      mode: custody.mode,
      submit: (r, signal) => custody.submit(r, signal),
      close: () => custody.close(),
      // While reconcile waits for custody, the FAILED webhook lands, an admin retries and batches again.
      lookup: async (key, signal) => {
        if (key === rel.externalTxId) {
          await sql(`update vesting_release set status = 'FAILED' where id = ?`, [rel.id]);
          expect((await t.gql<{ retryRelease: { status: string } }>(RETRY, { id: rel.id }, { token: site.adminToken })).data!.retryRelease.status).toBe('UNLOCKED');
          await sql(`delete from rate_limit_bucket where key like 'release-batch:%'`);
          expect((await batch([rel.id])).data!.releaseBatch.submitted).toHaveLength(1);
        }
        return custody.lookup(key, signal);
      },
    };
    await reconcilePayouts({ ...t.app.deps, payouts: { ...t.app.deps.payouts, custody: racing } }, new Date(Date.now() + 10_000));
    // Attempt 0's FAILED did not fail attempt 1, which pays.
    await waitStatus(rel.id, 'RELEASED');
    expect(await sql('select custody_attempt, failure_reason from vesting_release where id = ?', [rel.id])).toEqual([{ custody_attempt: 1, failure_reason: null }]);
  });

  it('rate limits releaseBatch to 6 calls a minute per admin, with the retry time', async () => {
    // Earlier tests used some of this minute's calls: fill up to the limit, then one more.
    const results = [];
    for (let i = 0; i < 7; i++) results.push(await batch([crypto.randomUUID()]));
    const limited = results.find((r) => r.errors)!;
    expect(limited.errors![0]!.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(Number(limited.errors![0]!.extensions!.retryAfterSeconds)).toBeGreaterThan(0);
    await sql(`delete from rate_limit_bucket where key like 'release-batch:%'`);
  });

  describe('the webhook route', () => {
    const post = async (body: string | Buffer, headers: Record<string, string>) => {
      const res = await fetch(`${t.url}/webhooks/fireblocks`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      return { status: res.status, body: (await res.json()) as { outcome?: string; reason?: string } };
    };
    /** Signed with the MOCK custody's key, which the server trusts in MOCK mode. */
    const signed = async (payload: unknown) => {
      const key = await mockKey();
      const body = Buffer.from(JSON.stringify(payload));
      const s = await signFireblocksWebhook(body, key);
      return { body, headers: { 'fireblocks-webhook-signature': s.v2, 'fireblocks-signature': s.v1 } };
    };
    const mockKey = async () => {
      const [row] = await sql<{ kid: string; private_jwk: Record<string, unknown> }>('select kid, private_jwk from mock_custody_key');
      const { importJWK } = await import('jose');
      return { kid: row!.kid, privateKey: (await importJWK(row!.private_jwk, 'RS512')) as Parameters<typeof signFireblocksWebhook>[1]['privateKey'] };
    };

    it('refuses unsigned, wrongly signed and malformed requests with 4xx, writing nothing', async () => {
      const before = await sql('select count(*)::int as n from custody_event');
      const payload = JSON.stringify({ id: 'evt-x', eventType: 'transaction.status.updated', data: { id: 'tx-x', status: 'COMPLETED', externalTxId: 'vl-rel-x' } });
      expect((await post(payload, {})).status).toBe(401);
      const stranger = await generateSigningKey('stranger');
      const wrong = await signFireblocksWebhook(Buffer.from(payload), stranger);
      expect((await post(payload, { 'fireblocks-webhook-signature': wrong.v2, 'fireblocks-signature': wrong.v1 })).status).toBe(401);
      const good = await signed({ id: 'evt-y' });
      expect((await post(good.body.toString().replace('evt-y', 'evt-z'), good.headers)).status).toBe(401);
      const notJson = Buffer.from('not json');
      const s = await signFireblocksWebhook(notJson, await mockKey());
      expect((await post(notJson, { 'fireblocks-webhook-signature': s.v2 })).status).toBe(400);
      expect((await post(Buffer.alloc(65 * 1024, 'a'), good.headers)).status).toBe(413);
      expect(await sql('select count(*)::int as n from custody_event')).toEqual(before);
    });

    it('applies an event once: a replay is a 200 duplicate; an unknown transaction is stored and audited; a type we do not use is counted', async () => {
      const unknown = await signed({ id: 'evt-unknown-1', eventType: 'transaction.status.updated', data: { id: 'tx-unknown', status: 'COMPLETED', externalTxId: 'vl-rel-00000000000000000000000000000000' } });
      expect((await post(unknown.body, unknown.headers)).body.outcome).toBe('unknown_transaction');
      expect((await post(unknown.body, unknown.headers)).body).toMatchObject({ outcome: 'duplicate' });
      const [event] = await sql<{ id: string; site_id: string | null }>(`select id, site_id from custody_event where event_key = 'evt-unknown-1'`);
      expect(event!.site_id).toBeNull();
      expect(await sql(`select action, site_id from audit_entry where target_id = ?`, [event!.id])).toEqual([{ action: 'custody.unknown_transaction', site_id: null }]);
      const other = await signed({ id: 'evt-vault-1', eventType: 'vault_account.created', data: { id: '7' } });
      expect((await post(other.body, other.headers)).body.outcome).toBe('ignored_type');
      const metrics = await (await fetch(`${t.url}/metrics`)).text();
      expect(metrics).toMatch(/vestline_custody_webhooks_total{outcome="duplicate",reason=""} [1-9]/);
      expect(metrics).toMatch(/vestline_custody_webhooks_total{outcome="rejected",reason="[a-z0-9_]+"} [1-9]/);
    });

    it('ends in the right state when events come out of order: COMPLETED first, then a late CONFIRMING changes nothing', async () => {
      const rel = await unlockedRelease();
      await sql(`update vesting_release set status = 'PROCESSING', processing_since = now() where id = ?`, [rel.id]);
      const completed = await signed({ id: 'evt-ooo-2', eventType: 'transaction.status.updated', data: { id: 'tx-ooo', status: 'COMPLETED', externalTxId: rel.externalTxId, txHash: '0xabc' } });
      const confirming = await signed({ id: 'evt-ooo-1', eventType: 'transaction.status.updated', data: { id: 'tx-ooo', status: 'CONFIRMING', externalTxId: rel.externalTxId } });
      expect((await post(completed.body, completed.headers)).body.outcome).toBe('released');
      expect((await post(confirming.body, confirming.headers)).body.outcome).toBe('stale');
      expect(await sql('select status, tx_hash from vesting_release where id = ?', [rel.id])).toEqual([{ status: 'RELEASED', tx_hash: '0xabc' }]);
    });

    it('applies events for one release that arrive at the same time without a deadlock (every one answered 200)', async () => {
      const releases = [];
      for (let i = 0; i < 4; i++) releases.push(await unlockedRelease());
      await sql(`update vesting_release set status = 'PROCESSING', processing_since = now() where id in (${releases.map(() => '?').join(', ')})`, releases.map((r) => r.id));
      const posts = [];
      for (const rel of releases) {
        for (const status of ['SUBMITTED', 'CONFIRMING', 'COMPLETED']) {
          const e = await signed({ id: `evt-race-${rel.id}-${status}`, eventType: 'transaction.status.updated', data: { id: `tx-${rel.id}`, status, externalTxId: rel.externalTxId, txHash: '0x01' } });
          posts.push(() => post(e.body, e.headers));
        }
      }
      const answers = await Promise.all(posts.map((p) => p()));
      expect(answers.map((a) => a.status)).toEqual(Array(answers.length).fill(200));
      expect(await sql(`select count(*)::int as n from vesting_release where status = 'RELEASED' and id in (${releases.map(() => '?').join(', ')})`, releases.map((r) => r.id))).toEqual([{ n: 4 }]);
    });

    it('takes v1 (Fireblocks-Signature) alone too', async () => {
      const v1only = await signed({ type: 'TRANSACTION_STATUS_UPDATED', tenantId: 't', timestamp: Date.now(), data: { id: 'tx-v1', status: 'SUBMITTED', externalTxId: 'vl-rel-11111111111111111111111111111111' } });
      expect((await post(v1only.body, { 'fireblocks-signature': v1only.headers['fireblocks-signature'] })).status).toBe(200);
    });
  });

  describe('reconcile', () => {
    const age = (id: string) => sql(`update vesting_release set processing_since = now() - interval '1 hour' where id = ?`, [id]);

    it('settles a release whose webhooks were lost, by looking it up, without a second transaction', async () => {
      const rel = await unlockedRelease();
      mock().deliverTo('http://127.0.0.1:1/nowhere');
      try {
        await batch([rel.id]);
        await new Promise((r) => setTimeout(r, 500));
      } finally {
        mock().deliverTo(`${t.url}/webhooks/fireblocks`);
      }
      expect(await statusOf(rel.id)).toBe('PROCESSING');
      await age(rel.id);
      const report = await reconcilePayouts(t.app.deps, new Date(Date.now() + 10_000));
      expect(report).toMatchObject({ settled: 1, resubmitted: 0 });
      expect(await statusOf(rel.id)).toBe('RELEASED');
      expect(await sql('select count(*)::int as n from mock_custody_tx where external_tx_id = ?', [rel.externalTxId])).toEqual([{ n: 1 }]);
    });

    it('submits a release that died between PROCESSING and custody (custody has nothing), once, and it gets paid', async () => {
      const rel = await unlockedRelease();
      // The process stopped right after its batch committed: PROCESSING, nothing at custody.
      await sql(`update vesting_release set status = 'PROCESSING', processing_since = now() - interval '1 hour' where id = ?`, [rel.id]);
      const first = await reconcilePayouts(t.app.deps, new Date(Date.now() + 10_000));
      expect(first).toMatchObject({ resubmitted: 1 });
      // A second run right away neither settles nor resubmits it (its clock restarted).
      expect(await reconcilePayouts(t.app.deps, new Date(Date.now() + 10_000))).toMatchObject({ checked: 0 });
      await waitStatus(rel.id, 'RELEASED');
      expect(await sql('select count(*)::int as n from mock_custody_tx where external_tx_id = ?', [rel.externalTxId])).toEqual([{ n: 1 }]);
    });
  });
});
