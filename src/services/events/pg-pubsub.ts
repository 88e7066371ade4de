import pg from 'pg';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { PubSub } from 'type-graphql';
import type { Logger } from '../../logger.js';

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; events carry ids and states, not documents. */
const MAX_PAYLOAD_BYTES = 7900;
const RETRY_FIRST_MS = 500;
/** application_name of the listening connection. */
export const LISTENER_APPLICATION_NAME = 'vestline-events';
const RETRY_MAX_MS = 30_000;

interface Envelope {
  topic: string;
  id?: string;
  payload: unknown;
}

/** type-graphql's PubSub, plus publishing inside a transaction and a way to stop. */
export interface EventBus extends PubSub {
  /**
   * Publishes when `em`'s transaction commits, and not at all if it rolls back (NOTIFY is
   * transactional): a state change and its live event can never disagree.
   */
  publishIn(em: EntityManager, topic: string, payload: unknown, id?: string): Promise<void>;
  close(): Promise<void>;
}

/** The NOTIFY payload for an event (also for statements that send their NOTIFY themselves). */
export function envelope(topic: string, payload: unknown, id?: string): string {
  const json = JSON.stringify({ topic, ...(id === undefined ? {} : { id }), payload } satisfies Envelope);
  if (Buffer.byteLength(json) >= MAX_PAYLOAD_BYTES) throw new Error(`event ${topic} is ${Buffer.byteLength(json)} bytes; events carry ids and states only`);
  return json;
}

/** The one NOTIFY channel every process listens on (events carry their topic inside). */
export const EVENT_CHANNEL = 'vestline_events';

const keyOf = (topic: string, id?: unknown) => (id === undefined || id === null ? topic : `${topic}\u0000${String(id)}`);

/**
 * Events across processes over PostgreSQL LISTEN/NOTIFY on the database we already run: a worker
 * publishes, every API process delivers to its own graphql-ws subscribers. One listening connection
 * per process (reconnected with backoff, logged once per state change); publishing uses the caller's
 * connection. Delivery is at most once and only to processes listening at the time: subscribers
 * re-read state when they (re)subscribe, events only tell them something changed.
 */
export async function createEventBus(opts: { databaseUrl: string; channel: string; logger: Logger; notify: (channel: string, json: string) => Promise<void> }): Promise<EventBus> {
  const subscribers = new Map<string, Set<(payload: unknown) => void>>();
  let listener: pg.Client | undefined;
  let closing = false;
  let retryTimer: NodeJS.Timeout | undefined;
  let failures = 0;

  const deliver = (raw: string | undefined) => {
    let e: Envelope;
    try {
      e = JSON.parse(raw ?? '') as Envelope;
    } catch {
      return; // not ours
    }
    for (const push of subscribers.get(keyOf(e.topic, e.id)) ?? []) push(e.payload);
  };

  const connect = async (): Promise<void> => {
    // Named, so operators (and tests) can tell the listening connection apart in pg_stat_activity.
    const client = new pg.Client({ connectionString: opts.databaseUrl, application_name: LISTENER_APPLICATION_NAME });
    client.on('notification', (n) => deliver(n.payload));
    client.on('error', () => undefined); // reported through 'end', below
    client.on('end', () => {
      if (closing || listener !== client) return;
      listener = undefined;
      opts.logger.warn('event channel lost; reconnecting');
      schedule();
    });
    await client.connect();
    await client.query(`listen ${pg.escapeIdentifier(opts.channel)}`);
    // close() ran while this reconnect was under way: do not leave a connection behind.
    if (closing) {
      await client.end().catch(() => undefined);
      return;
    }
    listener = client;
    if (failures) opts.logger.info('event channel restored');
    failures = 0;
  };

  const schedule = () => {
    if (closing) return;
    const delay = Math.min(RETRY_FIRST_MS * 2 ** failures++, RETRY_MAX_MS);
    retryTimer = setTimeout(() => void connect().catch(() => schedule()), delay);
  };

  await connect();

  return {
    publish(topic: string, ...args: unknown[]) {
      // type-graphql passes (topic, payload), or (topic, id, payload) for a dynamic topic id.
      const [id, payload] = args.length >= 2 ? [String(args[0]), args[1]] : [undefined, args[0]];
      opts.notify(opts.channel, envelope(topic, payload, id)).catch((err: unknown) => opts.logger.error({ err, topic }, 'event not published'));
    },
    async publishIn(em, topic, payload, id) {
      await em.execute('select pg_notify(?, ?)', [opts.channel, envelope(topic, payload, id)]);
    },
    subscribe(topic: string, id?: unknown): AsyncIterable<unknown> {
      const key = keyOf(topic, id);
      return {
        [Symbol.asyncIterator]() {
          const queue: unknown[] = [];
          // next() may be called again before an event came: every caller waits for its own event, in order.
          const waiting: ((r: IteratorResult<unknown>) => void)[] = [];
          let done = false;
          const push = (payload: unknown) => {
            const wake = waiting.shift();
            if (wake) wake({ value: payload, done: false });
            else queue.push(payload);
          };
          let set = subscribers.get(key);
          if (!set) subscribers.set(key, (set = new Set()));
          set.add(push);
          const stop = (): IteratorResult<unknown> => {
            done = true;
            set!.delete(push);
            if (!set!.size) subscribers.delete(key);
            for (const wake of waiting.splice(0)) wake({ value: undefined, done: true });
            return { value: undefined, done: true };
          };
          return {
            next: () => {
              if (queue.length) return Promise.resolve({ value: queue.shift(), done: false });
              if (done) return Promise.resolve({ value: undefined, done: true });
              return new Promise((resolve) => waiting.push(resolve));
            },
            return: () => Promise.resolve(stop()),
            throw: (err?: unknown) => {
              stop();
              return Promise.reject(err);
            },
          };
        },
      };
    },
    async close() {
      closing = true;
      clearTimeout(retryTimer);
      const client = listener;
      listener = undefined;
      await client?.end().catch(() => undefined);
    },
  };
}
