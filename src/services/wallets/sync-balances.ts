import { randomUUID } from 'node:crypto';
import type { EntityManager } from '@mikro-orm/postgresql';
import type { Network } from '../../entities/enums.js';
import type { BalanceReaders } from '../chain/balance-readers.js';
import { mapWithConcurrency, retryRead } from '../chain/retry.js';

export interface SyncOptions {
  concurrency: number;
  timeoutMs: number;
  retries: number;
  /** Limit to one site (tests, an admin's "sync now"); all sites when unset. */
  siteId?: string;
  /**
   * No read starts after this (reads under way finish, each bounded by its timeout and retries);
   * the wallets left are reported as `unread`. Keeps a job run within its lock.
   */
  deadline?: Date;
}

export interface SyncFailure {
  walletId: string;
  network: Network;
  address: string;
  error: string;
}

export interface UnreadWallet {
  walletId: string;
  network: Network;
  address: string;
}

export interface SyncReport {
  /** Wallets whose balance was read. */
  synced: number;
  /** Of those, wallets whose balance changed (one snapshot row each). */
  changed: number;
  /** Wallets whose balance could not be read, each with the reason: never silently skipped. */
  failed: SyncFailure[];
  /** Wallets on a network where their site has no active PAYMENT asset: nothing to read. */
  withoutPaymentAsset: number;
  /** Wallets not read because the deadline came first; the next run reads them first. */
  unread: UnreadWallet[];
}

/**
 * A short reason for an operator: error code and message, never an endpoint URL (RPC URLs often carry
 * an API key in their path or query).
 */
export function describeReadError(e: unknown): string {
  const err = e as { code?: unknown; shortMessage?: unknown; message?: unknown };
  const text = typeof err.shortMessage === 'string' ? `${String(err.code ?? 'ERROR')}: ${err.shortMessage}` : String(err.message ?? e);
  return text.replace(/\b[a-z][a-z0-9+.-]*:\/\/\S+/gi, '[endpoint]').slice(0, 200);
}

interface Row {
  id: string;
  site_id: string;
  network: Network;
  address: string;
  balance: string | null;
  balance_asset_id: string | null;
  asset_id: string | null;
  contract_address: string | null;
}

/**
 * Reads the PAYMENT-asset balance of every wallet (but DISABLED ones) on chain, with a concurrency
 * limit, per-read timeouts and retries, and records a snapshot row whenever a balance changed. The
 * least recently synced wallets go first, so a run cut short by its deadline does not leave the same
 * wallets behind every time.
 */
export async function syncWalletBalances(em: EntityManager, readers: BalanceReaders, opts: SyncOptions): Promise<SyncReport> {
  const rows = await em.execute<Row[]>(
    // all-sites: the sync job reads every site's wallets; siteId narrows it (tests, "sync now").
    `select w.id, w.site_id, w.network, w.address, w.balance::text as balance, w.balance_asset_id, a.id as asset_id, a.contract_address
     from wallet w
     left join lateral (
       select id, contract_address from asset
       where asset.site_id = w.site_id and asset.network = w.network and asset.purpose = 'PAYMENT' and asset.active
       order by asset.created_at limit 1
     ) a on true
     where w.status <> 'DISABLED' ${opts.siteId ? 'and w.site_id = ?' : ''}
     order by w.balance_synced_at asc nulls first, w.id`,
    opts.siteId ? [opts.siteId] : [],
  );
  const report: SyncReport = { synced: 0, changed: 0, failed: [], withoutPaymentAsset: 0, unread: [] };
  const readable = rows.filter((r) => {
    if (!r.asset_id) report.withoutPaymentAsset++;
    return !!r.asset_id;
  });

  await mapWithConcurrency(readable, opts.concurrency, async (r) => {
    if (opts.deadline && Date.now() >= opts.deadline.getTime()) {
      report.unread.push({ walletId: r.id, network: r.network, address: r.address });
      return;
    }
    const reader = readers[r.network];
    if (!reader) {
      report.failed.push({ walletId: r.id, network: r.network, address: r.address, error: `no ${r.network} endpoint configured` });
      return;
    }
    // Taken before the read: a slower, older read must never overwrite a newer stored balance.
    const readAt = new Date();
    let balance: bigint;
    try {
      balance = await retryRead((signal) => reader.balanceOf(r.contract_address!, r.address, signal), opts);
    } catch (e) {
      report.failed.push({ walletId: r.id, network: r.network, address: r.address, error: describeReadError(e) });
      return;
    }
    report.synced++;
    const value = balance.toString();
    const outcome = await em.fork().transactional(async (tx) => {
      const [prev] = await tx.execute<{ balance: string | null; asset: string | null }[]>(
        `with old as (select id, balance::text as balance, balance_asset_id from wallet where id = ? and site_id = ? for update)
         update wallet w set balance = ?, balance_asset_id = ?, balance_synced_at = ?
         from old where w.id = old.id and (w.balance_synced_at is null or w.balance_synced_at <= ?)
         returning old.balance as balance, old.balance_asset_id as asset`,
        [r.id, r.site_id, value, r.asset_id, readAt, readAt],
      );
      if (!prev) return 'stale';
      if (prev.balance === value && prev.asset === r.asset_id) return 'same';
      await tx.execute(
        `insert into wallet_balance_snapshot (id, site_id, wallet_id, asset_id, balance, synced_at) values (?, ?, ?, ?, ?, ?)`,
        [randomUUID(), r.site_id, r.id, r.asset_id, value, readAt],
      );
      return 'changed';
    });
    if (outcome === 'changed') report.changed++;
  });
  return report;
}
