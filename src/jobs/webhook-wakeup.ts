import type { Deps } from '../deps.js';
import { deliverDueWebhooks } from '../services/notifications/deliver.js';
import { OUTBOX_WRITTEN } from '../services/notifications/emit.js';

/** One run's budget; anything left is picked up by the next wake-up or the 5 s job. */
const RUN_BUDGET_MS = 30_000;

/**
 * Worker role: delivers new webhooks as soon as their outbox rows commit (a NOTIFY from emitEvents),
 * rather than at the next run of the 5-second `webhooks.deliver` job, which stays for retries and for
 * wake-ups this process missed. One run at a time per process; events during a run ask for one more
 * run after it. Several workers at once are safe: deliveries are claimed with SKIP LOCKED.
 */
export function startWebhookWakeup(deps: Deps): { stop(): Promise<void> } {
  const events = deps.events.subscribe(OUTBOX_WRITTEN)[Symbol.asyncIterator]();
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const run = (): void => {
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await deliverDueWebhooks(deps, new Date(Date.now() + RUN_BUDGET_MS));
        } catch (err) {
          deps.logger.warn({ err }, 'webhook delivery on wake-up failed; the delivery job will retry');
        }
      } while (again && !stopped);
      running = undefined;
    })();
  };

  const loop = (async () => {
    for (;;) {
      const next = await events.next();
      if (next.done || stopped) return;
      run();
    }
  })();

  return {
    async stop() {
      stopped = true;
      await events.return?.();
      await loop;
      await running;
    },
  };
}
