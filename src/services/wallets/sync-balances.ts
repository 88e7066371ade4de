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
}

export interface SyncFailure {
  walletId: string;
  network: Network;
  address: string;
  error: string;
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
 * limit, per-read timeouts and retries, and records a snapshot row whenever a balance changed.
 */
export async function syncWalletBalances(em: EntityManager, readers: BalanceReaders, opts: SyncOptions): Promise<SyncReport> {
  const rows = await em.execute<Row[]>(
    `select w.id, w.site_id, w.network, w.address, w.balance::text as balance, w.balance_asset_id, a.id as asset_id, a.contract_address
     from wallet w
     left join lateral (
       select id, contract_address from asset
       where asset.site_id = w.site_id and asset.network = w.network and asset.purpose = 'PAYMENT' and asset.active
       order by asset.created_at limit 1
     ) a on true
     where w.status <> 'DISABLED' ${opts.siteId ? 'and w.site_id = ?' : ''}
     order by w.id`,
    opts.siteId ? [opts.siteId] : [],
  );
  const report: SyncReport = { synced: 0, changed: 0, failed: [], withoutPaymentAsset: 0 };
  const readable = rows.filter((r) => {
    if (!r.asset_id) report.withoutPaymentAsset++;
    return !!r.asset_id;
  });

  await mapWithConcurrency(readable, opts.concurrency, async (r) => {
    const reader = readers[r.network];
    if (!reader) {
      report.failed.push({ walletId: r.id, network: r.network, address: r.address, error: `no ${r.network} endpoint configured` });
      return;
    }
    let balance: bigint;
    try {
      balance = await retryRead((signal) => reader.balanceOf(r.contract_address!, r.address, signal), opts);
    } catch (e) {
      report.failed.push({ walletId: r.id, network: r.network, address: r.address, error: (e as Error).message.slice(0, 300) });
      return;
    }
    report.synced++;
    const value = balance.toString();
    if (value === r.balance && r.asset_id === r.balance_asset_id) {
      await em.execute(`update wallet set balance_synced_at = now() where id = ?`, [r.id]);
      return;
    }
    report.changed++;
    await em.fork().transactional(async (tx) => {
      await tx.execute(`update wallet set balance = ?, balance_asset_id = ?, balance_synced_at = now() where id = ?`, [value, r.asset_id, r.id]);
      await tx.execute(
        `insert into wallet_balance_snapshot (id, site_id, wallet_id, asset_id, balance, synced_at) values (?, ?, ?, ?, ?, now())`,
        [randomUUID(), r.site_id, r.id, r.asset_id, value],
      );
    });
  });
  return report;
}
