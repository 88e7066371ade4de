/**
 * What the two reference servers (bare node:http and plain Apollo) read: one SQL statement per request
 * through a `pg` Pool, mapped to exactly the values Vestline answers with (same fields in the same order,
 * same cursor encoding, same null rules). No ORM, no auth: the caller's user or site id is given.
 */
import type pg from 'pg';

export interface MeNode {
  id: string;
  email: string;
  role: string;
}

export interface SiteNode {
  id: string;
  slug: string;
  name: string;
  createdAt: Date;
}

export interface WalletNode {
  id: string;
  network: string;
  address: string;
  label: string | null;
  status: string;
  balance: string | null;
  createdAt: Date;
}

export interface AuditNode {
  id: string;
  action: string;
  targetType: string;
  targetId: string;
  details: string;
  ip: string | null;
  at: Date;
}

export interface Page<T> {
  edges: { node: T; cursor: string }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export const MAX_PAGE_SIZE = 100;

const ME_SQL = 'select id, email, role from app_user where id = $1';
const SITES_SQL = 'select id, slug, name, created_at from site order by created_at, id';
// Newest first over (created_at, id), one row more than the page to know whether there is a next one.
// The balance is shown in its asset's decimals, so the asset comes along (Vestline populates it too).
const WALLETS_SQL = `select w.id, w.network, w.address, w.label, w.status, w.balance, a.decimals, w.created_at
  from wallet w left join asset a on a.id = w.balance_asset_id
  where w.site_id = $1 order by w.created_at desc, w.id desc limit $2`;
// A site reader never sees a platform operator's address (domain.md): the actor's role comes along.
const AUDIT_SQL = `select e.id, e.action, e.target_type, e.target_id, e.details, e.at,
    case when u.role = 'SUPER_ADMIN' then null else e.ip end as ip
  from audit_entry e left join app_user u on u.id = e.actor_id
  where e.site_id = $1 order by e.at desc, e.id desc limit $2`;

/** Same as src/services/pagination.ts encodeCursor: base64url of JSON [iso, id]. */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
}

/** Same as src/services/money/amount.ts fromBaseUnits: base units to a decimal string, no trailing zeros. */
export function fromBaseUnits(units: string, decimals: number): string {
  const n = BigInt(units);
  if (decimals === 0) return n.toString();
  const s = n.toString().padStart(decimals + 1, '0');
  const fraction = s.slice(-decimals).replace(/0+$/, '');
  return fraction ? `${s.slice(0, -decimals)}.${fraction}` : s.slice(0, -decimals);
}

function pageSize(first: number): number {
  if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) throw new Error(`first must be between 1 and ${MAX_PAGE_SIZE}`);
  return first;
}

function toPage<R, T>(rows: R[], first: number, node: (r: R) => T, key: (n: T) => [Date, string]): Page<T> {
  const edges = rows.slice(0, first).map((r) => {
    const n = node(r);
    const [at, id] = key(n);
    return { node: n, cursor: encodeCursor(at, id) };
  });
  return { edges, pageInfo: { hasNextPage: rows.length > first, endCursor: edges.at(-1)?.cursor ?? null } };
}

export async function readMe(pool: pg.Pool, userId: string | null): Promise<MeNode | null> {
  if (!userId) return null;
  const { rows } = await pool.query<MeNode>(ME_SQL, [userId]);
  const u = rows[0];
  return u ? { id: u.id, email: u.email, role: u.role } : null;
}

export async function readSites(pool: pg.Pool): Promise<SiteNode[]> {
  const { rows } = await pool.query<{ id: string; slug: string; name: string; created_at: Date }>(SITES_SQL);
  return rows.map((r) => ({ id: r.id, slug: r.slug, name: r.name, createdAt: r.created_at }));
}

interface WalletRow {
  id: string;
  network: string;
  address: string;
  label: string | null;
  status: string;
  balance: string | null;
  decimals: number | null;
  created_at: Date;
}

export async function readWallets(pool: pg.Pool, siteId: string, first: number): Promise<Page<WalletNode>> {
  const n = pageSize(first);
  const { rows } = await pool.query<WalletRow>(WALLETS_SQL, [siteId, n + 1]);
  return toPage(
    rows,
    n,
    (r) => ({
      id: r.id,
      network: r.network,
      address: r.address,
      label: r.label,
      status: r.status,
      // Never synced (or no asset to read it in): null, as in Vestline's toWalletType.
      balance: r.balance !== null && r.decimals !== null ? fromBaseUnits(r.balance, r.decimals) : null,
      createdAt: r.created_at,
    }),
    (w) => [w.createdAt, w.id],
  );
}

interface AuditRow {
  id: string;
  action: string;
  target_type: string;
  target_id: string;
  details: unknown;
  ip: string | null;
  at: Date;
}

export async function readAuditLog(pool: pg.Pool, siteId: string, first: number): Promise<Page<AuditNode>> {
  const n = pageSize(first);
  const { rows } = await pool.query<AuditRow>(AUDIT_SQL, [siteId, n + 1]);
  return toPage(
    rows,
    n,
    // `details` is jsonb, parsed by pg and shown as JSON text: the same key order as Vestline's.
    (r) => ({ id: r.id, action: r.action, targetType: r.target_type, targetId: r.target_id, details: JSON.stringify(r.details), ip: r.ip, at: r.at }),
    (e) => [e.at, e.id],
  );
}
