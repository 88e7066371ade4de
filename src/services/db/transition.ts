import type { EntityClass, EntityManager } from '@mikro-orm/postgresql';

/** A piece of SQL with its own parameters, for a column value the database computes (`now()`, a subquery). */
export interface SqlFragment {
  sql: string;
  params?: unknown[];
}

export function sql(text: string, ...params: unknown[]): SqlFragment {
  return { sql: text, params };
}

/** Extra conditions as ` and a and b…` with their parameters in order (empty when there are none). */
export function andAll(conditions: readonly SqlFragment[]): { sql: string; params: unknown[] } {
  return { sql: conditions.map((c) => ` and ${c.sql}`).join(''), params: conditions.flatMap((c) => c.params ?? []) };
}

function isFragment(v: unknown): v is SqlFragment {
  return typeof v === 'object' && v !== null && 'sql' in v && typeof (v as SqlFragment).sql === 'string';
}

export interface TransitionSpec<S extends string> {
  id: string;
  /** The row's site. Every transition is site-scoped: a row of another site reads as not found. */
  siteId: string;
  from: readonly S[];
  /** The new status, or a fragment that computes it (e.g. a CASE on another column). */
  to: S | SqlFragment;
  /** Extra columns to set (column name -> value or fragment). `updated_at` is always set. */
  set?: Record<string, unknown>;
  /** Extra conditions on the row, e.g. `current_order_id = ?`; failing them reads as a wrong status. */
  where?: SqlFragment;
}

export type TransitionResult<T, S extends string> =
  | { ok: true; row: T; previous: S }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'wrong_status'; current: S };

const IDENT = /^[a-z_][a-z0-9_]*$/;

/**
 * The one way to change the status of a row: a single conditional statement that locks the row (in
 * this site), updates it only when it is in one of the expected states, and returns the new row and
 * the status it came from. Two workers racing on the same row cannot both win: the second sees the
 * first one's status and gets `wrong_status`. Callers map `not_found` to NOT_FOUND and
 * `wrong_status` to CONFLICT.
 */
export async function transition<T extends object, S extends string>(
  em: EntityManager,
  entity: EntityClass<T>,
  spec: TransitionSpec<S>,
): Promise<TransitionResult<T, S>> {
  const meta = em.getMetadata().get(entity);
  const table = meta.tableName;
  const params: unknown[] = [spec.id, spec.siteId];
  const sets: string[] = [];
  const assign = (column: string, value: unknown, cast = '') => {
    if (!IDENT.test(column)) throw new Error(`transition: bad column name ${column}`);
    if (isFragment(value)) {
      sets.push(`${column} = ${value.sql}`);
      params.push(...(value.params ?? []));
    } else {
      sets.push(`${column} = ?${cast}`);
      params.push(value);
    }
  };
  const statusType = meta.properties['status' as keyof typeof meta.properties]?.nativeEnumName;
  assign('status', spec.to, statusType ? `::${statusType}` : '');
  for (const [column, value] of Object.entries(spec.set ?? {})) assign(column, value);
  assign('updated_at', sql('now()'));
  const extra = spec.where ? ` and (${spec.where.sql})` : '';
  params.push(...(spec.where?.params ?? []), ...spec.from);
  const fromList = spec.from.map(() => '?').join(', ');

  // `prev` locks the row first, so `previous` is the status this statement replaced, and a row that
  // exists but fails the conditions still reports its current status.
  const rows = await em.execute<(Record<string, unknown> & { transition_previous: S; transition_updated: boolean })[]>(
    `with prev as (select id, status from ${table} where id = ? and site_id = ? for update),
     upd as (
       update ${table} t set ${sets.join(', ')}
       from prev where t.id = prev.id${extra} and prev.status::text in (${fromList})
       returning t.*
     )
     select prev.status as transition_previous, upd.id is not null as transition_updated, upd.*
     from prev left join upd on upd.id = prev.id`,
    params,
  );
  const r = rows[0];
  if (!r) return { ok: false, reason: 'not_found' };
  if (!r.transition_updated) return { ok: false, reason: 'wrong_status', current: r.transition_previous };
  const { transition_previous: previous, transition_updated: _updated, ...row } = r;
  return { ok: true, row: em.map(entity, row as never), previous };
}
