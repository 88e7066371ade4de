import { startAnvil, type Anvil } from '../../support/anvil.js';
import { startTestApp, type TestApp } from '../../support/test-app.js';

const holds = (t: TestApp, network: string) => t.logs.filter((l) => l.includes('deposit watcher holds its lock') && l.includes(`"watcher":"${network}"`)).length;

async function waitFor(check: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('deposit watcher lock', () => {
  let anvil: Anvil;
  beforeAll(async () => {
    anvil = await startAnvil();
  });
  afterAll(() => anvil.stop());

  it('lets exactly one of two workers watch each network, and hands over when that worker stops', async () => {
    const env = { ETH_RPC_URL: anvil.url, DEPOSIT_POLL_INTERVAL_MS: '200' };
    const first = await startTestApp(env);
    const second = await startTestApp(env, { sameDatabaseAs: first, argv: ['--role=worker'] });
    try {
      await waitFor(() => holds(first, 'ETHEREUM') + holds(second, 'ETHEREUM') === 1 && holds(first, 'TRON') + holds(second, 'TRON') === 1, 'one holder per network');
      // Several more passes of both loops: still one holder each.
      await new Promise((r) => setTimeout(r, 1000));
      expect(holds(first, 'ETHEREUM') + holds(second, 'ETHEREUM')).toBe(1);
      expect(holds(first, 'TRON') + holds(second, 'TRON')).toBe(1);
      const [holder, other] = holds(first, 'ETHEREUM') ? [first, second] : [second, first];
      const otherStarted = holds(other, 'ETHEREUM');
      // The process stops; the database (owned by `first`) stays for the other one.
      await holder.app.stop();
      await waitFor(() => holds(other, 'ETHEREUM') === otherStarted + 1, 'the other worker to take over');
    } finally {
      await second.stop();
      await first.stop();
    }
  }, 60_000);
});
