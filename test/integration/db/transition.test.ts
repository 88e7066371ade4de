import 'reflect-metadata';
import { randomBytes, randomUUID } from 'node:crypto';
import { connectOrm, migrate, type Orm } from '../../../src/db/orm.js';
import { Network, WalletStatus } from '../../../src/entities/enums.js';
import { Site } from '../../../src/entities/site.entity.js';
import { Wallet } from '../../../src/entities/wallet.entity.js';
import { sql, transition } from '../../../src/services/db/transition.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

let db: TestDatabase;
let orm: Orm;
let siteA: Site;
let siteB: Site;

const rows = (text: string, params: unknown[] = []) => orm.em.fork().getConnection().execute<Record<string, unknown>[]>(text, params);
const ms = (v: unknown) => new Date(v as string | Date).getTime();
const row = async (id: string) => (await rows('select status, current_order_id, cooling_down_until, label, updated_at from wallet where id = ?', [id]))[0]!;

/** A wallet row straight in the table, in the given site and status. */
async function wallet(site: Site, status = WalletStatus.AVAILABLE, currentOrderId: string | null = null): Promise<string> {
  const em = orm.em.fork();
  const w = Object.assign(new Wallet(), {
    site: em.getReference(Site, site.id),
    network: Network.ETHEREUM,
    address: `0x${randomBytes(20).toString('hex')}`,
    sealedKey: randomBytes(60),
    keyVersion: 1,
    status,
    currentOrderId,
    updatedAt: new Date(Date.now() - 60_000),
  });
  em.persist(w);
  await em.flush();
  return w.id;
}

beforeAll(async () => {
  db = await createTestDatabase();
  orm = await connectOrm(db.url, 25);
  await migrate(orm);
  const em = orm.em.fork();
  siteA = Object.assign(new Site(), { slug: 'transition-a', name: 'A' });
  siteB = Object.assign(new Site(), { slug: 'transition-b', name: 'B' });
  em.persist([siteA, siteB]);
  await em.flush();
});
afterAll(async () => {
  await orm.close(true);
  await db.drop();
});

describe('transition(): one conditional, site-scoped status change', () => {
  it('changes the row and returns it mapped to the entity, with the status it replaced', async () => {
    const id = await wallet(siteA);
    const before = await row(id);
    const r = await transition(orm.em.fork(), Wallet, { id, siteId: siteA.id, from: [WalletStatus.AVAILABLE, WalletStatus.COOLING_DOWN], to: WalletStatus.DISABLED });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.previous).toBe(WalletStatus.AVAILABLE);
    expect(r.row).toBeInstanceOf(Wallet);
    expect(r.row).toMatchObject({ id, status: WalletStatus.DISABLED, network: Network.ETHEREUM, keyVersion: 1, currentOrderId: null });
    expect(r.row.site.id).toBe(siteA.id);
    expect(r.row.updatedAt).toBeInstanceOf(Date);
    expect(r.row.updatedAt.getTime()).toBeGreaterThan(ms(before.updated_at));
    const after = await row(id);
    expect(after.status).toBe('DISABLED');
    expect(ms(after.updated_at)).toBe(r.row.updatedAt.getTime());
  });

  it('reads an unknown id as not_found', async () => {
    const r = await transition(orm.em.fork(), Wallet, { id: randomUUID(), siteId: siteA.id, from: [WalletStatus.AVAILABLE], to: WalletStatus.DISABLED });
    expect(r).toEqual({ ok: false, reason: 'not_found' });
  });

  it("reads another site's row exactly like a missing one, and leaves it alone", async () => {
    const idB = await wallet(siteB);
    const before = await row(idB);
    const r = await transition(orm.em.fork(), Wallet, { id: idB, siteId: siteA.id, from: [WalletStatus.AVAILABLE], to: WalletStatus.DISABLED });
    expect(r).toEqual({ ok: false, reason: 'not_found' });
    // Not even the current status leaks (a wrong status would tell the row exists).
    const wrong = await transition(orm.em.fork(), Wallet, { id: idB, siteId: siteA.id, from: [WalletStatus.DISABLED], to: WalletStatus.AVAILABLE });
    expect(wrong).toEqual({ ok: false, reason: 'not_found' });
    expect(await row(idB)).toEqual(before);
  });

  it('reports wrong_status with the current status, changing nothing', async () => {
    const id = await wallet(siteA, WalletStatus.COOLING_DOWN);
    const before = await row(id);
    const r = await transition(orm.em.fork(), Wallet, { id, siteId: siteA.id, from: [WalletStatus.AVAILABLE, WalletStatus.DISABLED], to: WalletStatus.ALLOCATED, set: { current_order_id: randomUUID() } });
    expect(r).toEqual({ ok: false, reason: 'wrong_status', current: WalletStatus.COOLING_DOWN });
    expect(await row(id)).toEqual(before);
  });

  it('sets extra columns (values and SQL fragments) and honours extra conditions', async () => {
    const order = randomUUID();
    const id = await wallet(siteA);
    const taken = await transition<Wallet, WalletStatus>(orm.em.fork(), Wallet, {
      id,
      siteId: siteA.id,
      from: [WalletStatus.AVAILABLE],
      to: WalletStatus.ALLOCATED,
      set: { current_order_id: order, label: 'held' },
    });
    expect(taken).toMatchObject({ ok: true, previous: WalletStatus.AVAILABLE, row: { status: WalletStatus.ALLOCATED, currentOrderId: order, label: 'held' } });

    const release = (holder: string) =>
      transition<Wallet, WalletStatus>(orm.em.fork(), Wallet, {
        id,
        siteId: siteA.id,
        from: [WalletStatus.ALLOCATED],
        to: WalletStatus.COOLING_DOWN,
        set: { current_order_id: null, cooling_down_until: sql('now() + make_interval(mins => ?)', 5) },
        where: sql('t.current_order_id = ?', holder),
      });
    // Failing the extra condition reads as a wrong status, with the status the row really has.
    expect(await release(randomUUID())).toEqual({ ok: false, reason: 'wrong_status', current: WalletStatus.ALLOCATED });
    expect(await row(id)).toMatchObject({ status: 'ALLOCATED', current_order_id: order });

    const released = await release(order);
    expect(released.ok).toBe(true);
    if (!released.ok) return;
    expect(released.previous).toBe(WalletStatus.ALLOCATED);
    expect(released.row).toMatchObject({ status: WalletStatus.COOLING_DOWN, currentOrderId: null, label: 'held' });
    const minutes = (released.row.coolingDownUntil!.getTime() - Date.now()) / 60_000;
    expect(minutes).toBeGreaterThan(4.9);
    expect(minutes).toBeLessThanOrEqual(5);

    // The target status itself may be computed by the database.
    const computed = await transition<Wallet, WalletStatus>(orm.em.fork(), Wallet, {
      id,
      siteId: siteA.id,
      from: [WalletStatus.COOLING_DOWN],
      to: sql(`(case when t.cooling_down_until > now() then 'DISABLED' else 'AVAILABLE' end)::wallet_status`),
    });
    expect(computed).toMatchObject({ ok: true, previous: WalletStatus.COOLING_DOWN, row: { status: WalletStatus.DISABLED } });
  });

  it('refuses a column name that is not a plain identifier', async () => {
    const id = await wallet(siteA);
    await expect(transition(orm.em.fork(), Wallet, { id, siteId: siteA.id, from: [WalletStatus.AVAILABLE], to: WalletStatus.DISABLED, set: { 'label = null, site_id': randomUUID() } })).rejects.toThrow(
      /bad column name/,
    );
    expect((await row(id)).status).toBe('AVAILABLE');
  });

  it('lets exactly one of 20 concurrent transitions of the same row win; the others see its status', async () => {
    const id = await wallet(siteA);
    let start!: () => void;
    const go = new Promise<void>((resolve) => (start = resolve));
    const attempts = Array.from({ length: 20 }, () =>
      orm.em.fork().transactional(async (tx) => {
        await go;
        const r = await transition<Wallet, WalletStatus>(tx, Wallet, { id, siteId: siteA.id, from: [WalletStatus.AVAILABLE], to: WalletStatus.DISABLED });
        // The winner keeps the row locked a while: the others queue on the lock and then re-read the row.
        if (r.ok) await tx.execute('select pg_sleep(0.3)');
        return r;
      }),
    );
    start();
    const results = await Promise.all(attempts);
    const won = results.filter((r) => r.ok);
    expect(won).toHaveLength(1);
    expect(won[0]).toMatchObject({ previous: WalletStatus.AVAILABLE, row: { id, status: WalletStatus.DISABLED } });
    const lost = results.filter((r) => !r.ok);
    expect(lost).toHaveLength(19);
    expect(lost.every((r) => r.reason === 'wrong_status' && r.current === WalletStatus.DISABLED)).toBe(true);
    expect((await row(id)).status).toBe('DISABLED');
  });
});
