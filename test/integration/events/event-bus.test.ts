import pg from 'pg';
import { connectOrm, type Orm } from '../../../src/db/orm.js';
import { createLogger } from '../../../src/logger.js';
import { createEventBus, LISTENER_APPLICATION_NAME, type EventBus } from '../../../src/services/events/pg-pubsub.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

/**
 * Two buses on their own connections stand for two processes (a worker publishing, an API process
 * delivering): what one publishes reaches the other only through PostgreSQL.
 */
let db: TestDatabase;
let orm: Orm;
let publisher: EventBus;
let receiver: EventBus;
let pool: pg.Pool;
const CHANNEL = 'vestline_events_test';

async function bus(): Promise<EventBus> {
  return createEventBus({
    databaseUrl: db.url,
    channel: CHANNEL,
    logger: createLogger('silent'),
    notify: async (channel, json) => {
      await pool.query('select pg_notify($1, $2)', [channel, json]);
    },
  });
}

const pendingNext = new WeakMap<AsyncIterator<unknown>, Promise<IteratorResult<unknown>>>();

/**
 * The next value of `it`, or 'nothing' after `ms` (generous: an event that comes ends the wait at once;
 * only the checks that expect nothing pass a short one). A next() that timed out stays pending and is the
 * one the following call waits on: abandoning it would let it swallow the next event.
 */
async function next(it: AsyncIterator<unknown>, ms = 5000): Promise<unknown> {
  let pending = pendingNext.get(it);
  if (!pending) pendingNext.set(it, (pending = it.next()));
  const winner = await Promise.race([pending.then((r) => ({ value: r.value })), new Promise<null>((r) => setTimeout(() => r(null), ms))]);
  if (!winner) return 'nothing';
  // Only the call that hands the value out lets the pending next() go.
  pendingNext.delete(it);
  return winner.value;
}

beforeAll(async () => {
  db = await createTestDatabase();
  orm = await connectOrm(db.url, 2);
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
  // An idle connection the server ends must not take the test process down with an unhandled 'error'.
  pool.on('error', () => undefined);
  [publisher, receiver] = [await bus(), await bus()];
});
afterAll(async () => {
  await Promise.all([publisher.close(), receiver.close(), pool.end(), orm.close(true)]);
  await db.drop();
});

describe('event bus over LISTEN/NOTIFY', () => {
  it('delivers what another connection publishes, to subscribers of that topic and id only', async () => {
    const mine = receiver.subscribe('ORDER', 'a')[Symbol.asyncIterator]();
    const other = receiver.subscribe('ORDER', 'b')[Symbol.asyncIterator]();
    const site = receiver.subscribe('SITE_ORDERS')[Symbol.asyncIterator]();
    publisher.publish('ORDER', 'a', { id: 'a', status: 'PAID' });
    publisher.publish('SITE_ORDERS', { id: 'a' });
    expect(await next(mine)).toEqual({ id: 'a', status: 'PAID' });
    expect(await next(site)).toEqual({ id: 'a' });
    expect(await next(other, 300)).toBe('nothing');
    await Promise.all([mine.return!(), other.return!(), site.return!()]);
  });

  it('answers next() calls made before their events arrive, each with its own event', async () => {
    const it = receiver.subscribe('ORDER', 'many')[Symbol.asyncIterator]();
    const [first, second] = [it.next(), it.next()];
    publisher.publish('ORDER', 'many', { n: 1 });
    publisher.publish('ORDER', 'many', { n: 2 });
    const settled = await Promise.race([Promise.all([first, second]), new Promise((r) => setTimeout(() => r('timed out'), 2000))]);
    // Two publishes from two pool connections may arrive in either order; each caller gets one of them.
    expect(settled).toEqual(expect.arrayContaining([
      { value: { n: 1 }, done: false },
      { value: { n: 2 }, done: false },
    ]));
    await it.return!();
  });

  it('publishes inside a transaction only when it commits', async () => {
    const it = receiver.subscribe('ORDER', 'tx')[Symbol.asyncIterator]();
    await orm.em
      .fork()
      .transactional(async (tx) => {
        await publisher.publishIn(tx, 'ORDER', { n: 'rolled back' }, 'tx');
        throw new Error('roll back');
      })
      .catch(() => undefined);
    expect(await next(it, 300)).toBe('nothing');
    await orm.em.fork().transactional((tx) => publisher.publishIn(tx, 'ORDER', { n: 'committed' }, 'tx'));
    expect(await next(it)).toEqual({ n: 'committed' });
    await it.return!();
  });

  it('stops delivering to a subscriber that returned, and ends its iterator', async () => {
    const it = receiver.subscribe('ORDER', 'gone')[Symbol.asyncIterator]();
    const witness = receiver.subscribe('ORDER', 'gone')[Symbol.asyncIterator]();
    await it.return!();
    publisher.publish('ORDER', 'gone', { late: true });
    // The other subscriber of the same topic still hears it; the one that returned does not.
    expect(await next(witness)).toEqual({ late: true });
    expect(await it.next()).toEqual({ value: undefined, done: true });
    await witness.return!();
  });

  it('refuses an event too large for NOTIFY instead of losing it silently', async () => {
    await expect(orm.em.fork().transactional((tx) => publisher.publishIn(tx, 'ORDER', { blob: 'x'.repeat(8000) }, 'big'))).rejects.toThrow(/bytes; events carry ids and states only/);
  });

  it('comes back after its connection is killed, and delivers again', async () => {
    const admin = new pg.Client({ connectionString: db.url });
    admin.on('error', () => undefined);
    await admin.connect();
    await admin.query(`select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1 and datname = current_database()`, [LISTENER_APPLICATION_NAME]);
    await admin.end();
    const it = receiver.subscribe('ORDER', 'again')[Symbol.asyncIterator]();
    // The listener reconnects after its first back-off (0.5 s): publish until it hears.
    let got: unknown = 'nothing';
    for (let i = 0; i < 20 && got === 'nothing'; i++) {
      publisher.publish('ORDER', 'again', { i });
      got = await next(it, 250);
    }
    expect(got).toMatchObject({ i: expect.any(Number) });
    await it.return!();
  });
});
