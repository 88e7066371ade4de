/**
 * Row 2 of the vesting bench: the unlock job over 100,000 due releases. Before every run the unlock
 * site is re-seeded to the same state (10,000 allocations x 13 releases, 10 of them due and LOCKED, 3 not
 * yet due), and the whole database is checked to hold no other due LOCKED release. Then one of:
 *
 *   vestline            unlockDueReleases(deps, now, deadline), as the releases.unlock job calls it:
 *                       batches of 5000 (UPDATE ... FROM (SELECT ... FOR UPDATE SKIP LOCKED)), a transaction
 *                       each, a release.unlocked outbox event per release (emitEvents, 1000 per statement)
 *                       and RELEASES_CHANGED events of 150 ids published in it
 *   vestline-2-workers  the same call twice at once (two workers), each with its own connection
 *   candidate           the same loop with two changes for src/ (unlockDueReleasesCandidate below)
 *   reference           one statement: UPDATE vesting_release SET status = 'UNLOCKED', updated_at = now()
 *                       WHERE status = 'LOCKED' AND unlock_at <= $now
 *   reference-outbox    the same UPDATE, and in the same statement what Vestline writes besides: one
 *                       release.unlocked outbox row per release (notification_event, its payload built in
 *                       SQL with releaseData's fields; the webhook_delivery insert for the site's endpoints)
 *                       and the same RELEASES_CHANGED events (150 ids each, Vestline's envelope)
 *
 * Checks after each run: every due release of the site UNLOCKED and no other release changed; the
 * number unlocked (as Vestline returns it) is the number due, so none was unlocked twice; with events,
 * every unlocked id is named exactly once; one outbox row per release (none from the plain UPDATE).
 */
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { Deps } from '../../src/deps.js';
import { emitEvents } from '../../src/services/notifications/emit.js';
import { RELEASE_EVENT_COLUMNS, releaseData, type ReleaseEventRow } from '../../src/services/notifications/payloads.js';
import { publishReleasesChanged } from '../../src/services/vesting/release-events.js';
import { unlockDueReleases } from '../../src/services/vesting/unlock-releases.js';
import { EVENT_CHANNEL } from '../orders/reference-orders.js';
import { reseedUnlock, type SaleSite } from './seed.js';

export const UNLOCK_VARIANTS = ['vestline', 'vestline-2-workers', 'candidate', 'reference', 'reference-outbox'] as const;
export type UnlockVariant = (typeof UNLOCK_VARIANTS)[number];

export const UNLOCK_LABELS: Record<UnlockVariant, string> = {
  vestline: 'Vestline: unlockDueReleases (batches of 5000, SKIP LOCKED, outbox, events)',
  'vestline-2-workers': 'Vestline: unlockDueReleases, two workers at once',
  candidate: 'candidate for src/: unlockDueReleases with two changes (below), in this file',
  reference: 'reference: one UPDATE',
  'reference-outbox': 'reference: one statement with the same outbox rows and events',
};

/** Same as src/services/vesting/release-events.ts. */
const RELEASES_CHANGED = 'RELEASES_CHANGED';
const IDS_PER_EVENT = 150;

export interface UnlockRun {
  variant: UnlockVariant;
  seconds: number;
  unlocked: number;
  /** Per call, for the two-worker variant. */
  split: number[];
  events: number;
  /** release.unlocked rows in the outbox after the run, when the schema has one. */
  outbox: number | null;
  /** CPU time of this process over the run (the Vestline side runs here), ms. */
  cpuMs: number;
  reseedSeconds: number;
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

const REFERENCE_SQL = `update vesting_release set status = 'UNLOCKED', updated_at = now() where status = 'LOCKED' and unlock_at <= $1`;

/** Set-based, what unlockDueReleases writes per batch (src/services/notifications/emit.ts, release-events.ts). */
const REFERENCE_OUTBOX_SQL = `with u as (
    update vesting_release set status = 'UNLOCKED', updated_at = now() where status = 'LOCKED' and unlock_at <= $1 returning *
  ),
  ev as (
    insert into notification_event (id, site_id, type, data, created_at)
    select 'msg_' || replace(gen_random_uuid()::text, '-', ''), u.site_id, 'release.unlocked',
      jsonb_build_object('id', u.id, 'allocationId', u.allocation_id, 'index', u.index,
        'amount', trim_scale(u.amount * power(10::numeric, -d.decimals))::text,
        'unlockAt', to_char(u.unlock_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'status', u.status,
        'externalTxId', u.external_tx_id, 'txHash', u.tx_hash, 'failureReason', u.failure_reason,
        'releasedAt', to_char(u.released_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')),
      now()
    from u join allocation al on al.id = u.allocation_id join asset d on d.id = al.asset_id
    returning id, site_id, type
  ),
  dl as (
    insert into webhook_delivery (id, site_id, endpoint_id, event_id, event_type, status, attempts, next_attempt_at, created_at, updated_at)
    select gen_random_uuid(), ev.site_id, e.id, ev.id, ev.type, 'PENDING', 0, now(), now(), now()
    from ev join webhook_endpoint e on e.site_id = ev.site_id and e.active and (cardinality(e.events) = 0 or ev.type = any(e.events))
    returning 1
  ),
  n as (select site_id, id, (row_number() over (partition by site_id order by unlock_at, id) - 1) / ${IDS_PER_EVENT} as chunk from u),
  g as (select site_id, json_agg(id order by chunk) as ids from n group by site_id, chunk)
  select count(pg_notify($2, json_build_object('topic', '${RELEASES_CHANGED}', 'id', site_id, 'payload', json_build_object('releaseIds', ids))::text))::int as events,
    (select count(*)::int from u) as unlocked, (select count(*)::int from ev) as outbox, (select count(*)::int from dl) as deliveries
  from g`;

/**
 * A candidate for src/services/vesting/unlock-releases.ts, measured side by side (Vestline does not use
 * it): the working tree's loop as it is (batches, SKIP LOCKED, transaction, the outbox notifications and
 * the events, through the same src/ helpers), with two changes:
 * - the batch's rows are updated by primary key, `where r.id = any(array(select ... for update skip
 *   locked))`: the CTE join `from due where r.id = due.id` can be planned as a hash join over a
 *   sequential scan of every LOCKED release in the table (all sites, every future release), once per
 *   batch (it was with 130,000 releases in the table; with 1.3 million the planner chose the key);
 * - ids are grouped by site with push: `[...(bySite.get(site) ?? []), id]` copies the site's list for
 *   every row, quadratic in the batch (12.5 million element copies for a batch of 5000 of one site).
 * Keep it in step with src/ when that file changes (the bench compares the two).
 */
async function unlockDueReleasesCandidate(deps: Pick<Deps, 'orm' | 'events'>, now: Date, deadline: Date): Promise<number> {
  const BATCH = 5000;
  let unlocked = 0;
  for (;;) {
    const n = await deps.orm.em.fork().transactional(async (tx) => {
      const rows = await tx.execute<(ReleaseEventRow & { site_id: string })[]>(
        `with unlocked as (
           update vesting_release r set status = 'UNLOCKED', updated_at = now()
           where r.id = any(array(
             select id from vesting_release where status = 'LOCKED' and unlock_at <= ? order by unlock_at, id limit ? for update skip locked
           )) and r.status = 'LOCKED'
           returning r.*
         )
         select r.site_id, ${RELEASE_EVENT_COLUMNS} from unlocked r join allocation al on al.id = r.allocation_id join asset d on d.id = al.asset_id`,
        [now, BATCH],
      );
      for (let i = 0; i < rows.length; i += 1000) {
        await emitEvents(tx, rows.slice(i, i + 1000).map((r) => ({ siteId: r.site_id, type: 'release.unlocked' as const, data: releaseData(r) })));
      }
      const bySite = new Map<string, string[]>();
      for (const r of rows) {
        let ids = bySite.get(r.site_id);
        if (!ids) bySite.set(r.site_id, (ids = []));
        ids.push(r.id);
      }
      for (const [siteId, ids] of bySite) await publishReleasesChanged(tx, deps.events, siteId, ids);
      return rows.length;
    });
    unlocked += n;
    if (n < BATCH || new Date() >= deadline) return unlocked;
  }
}

/** Collects RELEASES_CHANGED ids of one site from Vestline's NOTIFY channel. */
class EventCounter {
  ids: string[] = [];
  events = 0;
  constructor(private siteId: string) {}
  onNotify = (n: pg.Notification) => {
    if (n.channel !== EVENT_CHANNEL || !n.payload) return;
    const e = JSON.parse(n.payload) as { topic?: string; id?: string; payload?: { releaseIds?: string[] } };
    if (e.topic !== RELEASES_CHANGED || e.id !== this.siteId) return;
    this.events++;
    this.ids.push(...(e.payload?.releaseIds ?? []));
  };
}

export async function runUnlock(variant: UnlockVariant, o: { deps: Deps; databaseUrl: string; monitor: pg.Client; site: SaleSite; allocations: number }): Promise<UnlockRun> {
  const { monitor, site } = o;
  const r0 = performance.now();
  const now = new Date(Date.now() - 1000);
  const { due, notDue } = await reseedUnlock(monitor, site, o.allocations, now);
  const dueAll = (await monitor.query<{ n: number }>(`select count(*)::int as n from vesting_release where status = 'LOCKED' and unlock_at <= $1`, [now])).rows[0]!.n;
  if (dueAll !== due) throw new Error(`unlock: ${dueAll} due LOCKED releases in the database, but the unlock site holds ${due}: another row's releases are due`);
  await monitor.query('checkpoint').catch(() => undefined);
  const reseedSeconds = (performance.now() - r0) / 1000;

  const counter = new EventCounter(site.siteId);
  monitor.on('notification', counter.onNotify);
  await monitor.query(`listen ${pg.escapeIdentifier(EVENT_CHANNEL)}`);
  // The reference's own connection, opened before the clock starts (Vestline's pool is open already).
  const ref = variant.startsWith('reference') ? new pg.Client({ connectionString: o.databaseUrl }) : null;
  await ref?.connect();
  let unlocked: number;
  let split: number[];
  let seconds: number;
  let cpu: number;
  try {
    const deadline = new Date(Date.now() + 96_000); // the job's: 0.8 x its 120 s lock lifetime
    const c0 = cpuMs();
    const t0 = performance.now();
    if (variant === 'vestline') {
      split = [await unlockDueReleases(o.deps, now, deadline)];
    } else if (variant === 'vestline-2-workers') {
      split = await Promise.all([unlockDueReleases(o.deps, now, deadline), unlockDueReleases(o.deps, now, deadline)]);
    } else if (variant === 'candidate') {
      split = [await unlockDueReleasesCandidate(o.deps, now, deadline)];
    } else if (variant === 'reference') {
      split = [(await ref!.query(REFERENCE_SQL, [now])).rowCount ?? 0];
    } else {
      const r = (await ref!.query<{ unlocked: number; outbox: number }>(REFERENCE_OUTBOX_SQL, [now, EVENT_CHANNEL])).rows[0]!;
      if (r.outbox !== r.unlocked) throw new Error(`unlock / reference-outbox: ${r.outbox} outbox rows for ${r.unlocked} releases`);
      split = [r.unlocked];
    }
    seconds = (performance.now() - t0) / 1000;
    cpu = cpuMs() - c0;
    unlocked = split.reduce((a, b) => a + b, 0);
    // Notifications arrive after the commit; wait for the last ones.
    const withEvents = variant !== 'reference';
    for (let i = 0; withEvents && counter.ids.length < unlocked && i < 100; i++) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 100));
  } finally {
    await ref?.end();
    await monitor.query(`unlisten ${pg.escapeIdentifier(EVENT_CHANNEL)}`);
    monitor.off('notification', counter.onNotify);
  }

  const outbox = (await monitor.query<{ t: string | null }>(`select to_regclass('notification_event')::text as t`)).rows[0]!.t
    ? (await monitor.query<{ n: number; distinct: number }>(
        `select count(*)::int as n, count(distinct data->>'id')::int as distinct from notification_event where site_id = $1 and type = 'release.unlocked'`,
        [site.siteId],
      )).rows[0]!
    : null;
  const { rows } = await monitor.query<{ unlocked: number; due_left: number; future_changed: number; due_any: number }>(
    `select count(*) filter (where unlock_at <= $2 and status = 'UNLOCKED')::int as unlocked,
       count(*) filter (where unlock_at <= $2 and status <> 'UNLOCKED')::int as due_left,
       count(*) filter (where unlock_at > $2 and status <> 'LOCKED')::int as future_changed,
       (select count(*)::int from vesting_release where status = 'LOCKED' and unlock_at <= $2) as due_any
     from vesting_release where site_id = $1`,
    [site.siteId, now],
  );
  const c = rows[0]!;
  const problems = [
    c.unlocked !== due && `${c.unlocked} of ${due} due releases UNLOCKED`,
    c.due_left && `${c.due_left} due releases not UNLOCKED`,
    c.future_changed && `${c.future_changed} of ${notDue} releases not yet due changed`,
    c.due_any && `${c.due_any} due releases LOCKED in the database after the run`,
    unlocked !== due && `unlocked ${unlocked} (${split.join(' + ')}), but ${due} were due: some were unlocked twice or not at all`,
  ].filter(Boolean);
  if (variant !== 'reference') {
    const distinct = new Set(counter.ids).size;
    if (counter.ids.length !== due || distinct !== due) problems.push(`events named ${counter.ids.length} ids (${distinct} distinct), expected each of the ${due} once`);
  }
  // Where the schema has the merchant notifications' outbox, one release.unlocked event per release (none from the plain UPDATE).
  const outboxExpected = variant === 'reference' ? 0 : due;
  if (outbox && (outbox.n !== outboxExpected || outbox.distinct !== outboxExpected)) problems.push(`${outbox.n} release.unlocked outbox rows (${outbox.distinct} releases), expected ${outboxExpected}`);
  if (problems.length) throw new Error(`unlock / ${variant}: ${problems.join('; ')}`);
  return { variant, seconds, unlocked, split, events: counter.events, outbox: outbox?.n ?? null, cpuMs: cpu, reseedSeconds };
}
