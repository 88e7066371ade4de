import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ETH_PAYOUT, openSale } from '../../support/sale.js';
import { createSiteFixture, startTestApp, type TestApp } from '../../support/test-app.js';

/**
 * A worker delivers a new webhook when its outbox row commits, not at the delivery job's next 5 s run:
 * three orders in a row each reach the receiver within a second (by the 5 s job alone, each would have
 * about a one-in-five chance of that).
 */
describe('webhook wake-up', () => {
  let t: TestApp;
  afterAll(() => t?.stop());

  it('delivers each new event within a second of its commit', async () => {
    const arrivals: { at: number; body: string }[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        arrivals.push({ at: Date.now(), body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    try {
      t = await startTestApp({ WALLET_POOL_MIN_AVAILABLE: '0', WEBHOOK_ALLOW_PRIVATE_TARGETS: '1' });
      const site = await createSiteFixture(t, 'wakeup');
      const sale = await openSale(t, site, { wallets: 5, slug: 'wakeup' });
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
      const ep = await t.gql('mutation($u: String!) { createWebhookEndpoint(url: $u, events: ["order.created"]) { secret } }', { u: url }, { token: site.adminToken });
      expect(ep.errors).toBeUndefined();
      for (let i = 0; i < 3; i++) {
        const before = arrivals.length;
        const created = Date.now();
        const r = await t.gql<{ createOrder: { id: string } }>('mutation($i: CreateOrderInput!) { createOrder(input: $i) { id } }', { i: { network: 'ETHEREUM', amount: '10', payoutAddress: ETH_PAYOUT, planId: sale.planId } }, { token: site.customerToken });
        const deadline = created + 5000;
        while (arrivals.length === before && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
        expect(arrivals.length).toBe(before + 1);
        expect(arrivals.at(-1)!.body).toContain(r.data!.createOrder.id);
        expect(arrivals.at(-1)!.at - created).toBeLessThan(1000);
      }
    } finally {
      server.close();
    }
  }, 60_000);
});
