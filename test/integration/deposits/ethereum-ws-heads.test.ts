import { startAnvil, type Anvil, type DeployedToken } from '../../support/anvil.js';
import { ETH_PAYOUT, openSale, type Sale } from '../../support/sale.js';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.js';
import { createSiteFixture, startTestApp, type SiteFixture, type TestApp } from '../../support/test-app.js';

/**
 * With a ws:// ETH_RPC_URL the watcher is woken by new heads: the poll interval here is long (20 s), so
 * a transfer seen within a few seconds was seen because of its head. The socket then drops (a TCP
 * relay cuts it): the watcher opens a new one and goes on.
 */
describe('Ethereum deposits with WebSocket heads', () => {
  let anvil: Anvil;
  let token: DeployedToken;
  let relay: TcpProxy;
  let t: TestApp;
  let site: SiteFixture;
  let sale: Sale;

  const createOrder = async () => {
    const r = await t.gql<{ createOrder: { id: string; payToAddress: string } }>(
      'mutation($i: CreateOrderInput!) { createOrder(input: $i) { id payToAddress } }',
      { i: { network: 'ETHEREUM', amount: '10', payoutAddress: ETH_PAYOUT, planId: sale.planId } },
      { token: site.customerToken },
    );
    return r.data!.createOrder;
  };
  const statusWithin = async (id: string, status: string, ms: number) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const r = await t.gql<{ order: { status: string } }>('query($id: ID!) { order(id: $id) { status } }', { id }, { token: site.adminToken });
      if (r.data!.order.status === status) return true;
      if (Date.now() > deadline) return false;
      await new Promise((res) => setTimeout(res, 50));
    }
  };

  beforeAll(async () => {
    anvil = await startAnvil();
    token = await anvil.deployToken({ name: 'Tether USD', symbol: 'USDT', decimals: 6 });
    await anvil.mint(token, anvil.deployer.address, 10n ** 12n);
    const port = Number(new URL(anvil.url).port);
    relay = await startTcpProxy('127.0.0.1', port);
    t = await startTestApp({ ETH_RPC_URL: `ws://127.0.0.1:${relay.port}`, DEPOSIT_POLL_INTERVAL_MS: '20000', WALLET_POOL_MIN_AVAILABLE: '0', CHAIN_READ_TIMEOUT_MS: '2000' });
    site = await createSiteFixture(t, 'ws-heads');
    sale = await openSale(t, site, { wallets: 5, slug: 'ws-heads', paymentContract: token.address, confirmations: 1 });
  }, 60_000);
  afterAll(async () => {
    if (process.env.DEBUG_WATCHER) console.log(t.logs.filter((l) => /watcher|deposit/.test(l)).slice(-30).map((l) => l.slice(0, 400)).join('\n'));
    await t?.stop();
    await relay?.close();
    await anvil?.stop();
  });

  it('sees a transfer at its head, long before the next poll, and again after the socket was cut', async () => {
    // The first pass runs at start; after it, only a head can wake the watcher for 20 s.
    await new Promise((r) => setTimeout(r, 500));
    const first = await createOrder();
    await anvil.transfer(token, first.payToAddress, 10_000_000n);
    expect(await statusWithin(first.id, 'PAID', 5000)).toBe(true);

    relay.cut();
    // A block while the socket is down: the next pass fails, and the watcher reconnects with back-off.
    await anvil.mine(1);
    await new Promise((r) => setTimeout(r, 1500));
    relay.restore();
    await new Promise((r) => setTimeout(r, 3500));
    const second = await createOrder();
    await anvil.transfer(token, second.payToAddress, 10_000_000n);
    expect(await statusWithin(second.id, 'PAID', 5000)).toBe(true);
  }, 60_000);
});
