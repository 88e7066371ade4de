import { asDate, asDateOrNull } from '../../db/plain-reads.js';
import type { AllocationStatus, Network, ReleaseStatus } from '../../entities/enums.js';
import { Role } from '../../entities/role.js';
import type { Actor } from '../auth/actor.js';
import type { SqlFragment } from '../db/transition.js';
import { ASSET_COLUMNS, assetView, type AssetRow, type AssetView } from '../assets/asset-view.js';

export interface PlanView {
  id: string;
  name: string;
  tgeBps: number;
  cliffDays: number;
  periods: number;
  periodDays: number;
  createdAt: Date;
}

/** An allocation as reads return it: amounts in base units of `asset.decimals`. */
export interface AllocationView {
  id: string;
  siteId: string;
  status: AllocationStatus;
  beneficiaryId: string;
  orderId: string | null;
  payoutNetwork: Network;
  payoutAddress: string;
  asset: AssetView;
  totalAmount: string;
  releasedAmount: string;
  /** UNLOCKED + PROCESSING releases. */
  claimableAmount: string;
  lockedAmount: string;
  plan: PlanView;
  startAt: Date;
  createdAt: Date;
}

/**
 * FROM clause of every allocation read: the allocation `al`, its asset `a`, its plan `p`, and the sums
 * of its releases by state `s` (one pass over its releases, through the allocation_id index).
 */
export const ALLOCATION_FROM = `allocation al join asset a on a.id = al.asset_id join vesting_plan p on p.id = al.plan_id
  left join lateral (
    select coalesce(sum(r.amount) filter (where r.status in ('UNLOCKED', 'PROCESSING')), 0)::text as claimable,
           coalesce(sum(r.amount) filter (where r.status = 'LOCKED'), 0)::text as locked
    from vesting_release r where r.allocation_id = al.id and r.site_id = al.site_id
  ) s on true`;

export const ALLOCATION_COLUMNS = `al.id, al.site_id, al.status, al.beneficiary_id, al.order_id, al.payout_network, al.payout_address, al.total_amount,
  al.released_amount, s.claimable, s.locked, al.start_at, al.created_at,
  ${ASSET_COLUMNS},
  p.id as plan_id, p.name as plan_name, p.tge_bps as plan_tge_bps, p.cliff_days as plan_cliff_days, p.periods as plan_periods,
  p.period_days as plan_period_days, p.created_at as plan_created_at`;

export interface AllocationRow extends AssetRow {
  id: string;
  site_id: string;
  status: AllocationStatus;
  beneficiary_id: string;
  order_id: string | null;
  payout_network: Network;
  payout_address: string;
  total_amount: string;
  released_amount: string;
  claimable: string;
  locked: string;
  start_at: Date | string;
  created_at: Date | string;
  plan_id: string;
  plan_name: string;
  plan_tge_bps: number;
  plan_cliff_days: number;
  plan_periods: number;
  plan_period_days: number;
  plan_created_at: Date | string;
}

export function allocationView(r: AllocationRow): AllocationView {
  return {
    id: r.id,
    siteId: r.site_id,
    status: r.status,
    beneficiaryId: r.beneficiary_id,
    orderId: r.order_id,
    payoutNetwork: r.payout_network,
    payoutAddress: r.payout_address,
    asset: assetView(r),
    totalAmount: r.total_amount,
    releasedAmount: r.released_amount,
    claimableAmount: r.claimable,
    lockedAmount: r.locked,
    plan: {
      id: r.plan_id,
      name: r.plan_name,
      tgeBps: r.plan_tge_bps,
      cliffDays: r.plan_cliff_days,
      periods: r.plan_periods,
      periodDays: r.plan_period_days,
      createdAt: asDate(r.plan_created_at),
    },
    startAt: asDate(r.start_at),
    createdAt: asDate(r.created_at),
  };
}

/** A CUSTOMER sees only allocations it is the beneficiary of; staff all of the site's. */
export function visibleAllocations(actor: Actor | null): SqlFragment[] {
  if (!actor) return [{ sql: 'false' }];
  return actor.role === Role.CUSTOMER ? [{ sql: 'al.beneficiary_id = ?', params: [actor.userId] }] : [];
}

/** A release as the API shows it; CANCELLED ones (a revoked allocation's) are never read. */
export interface ReleaseView {
  id: string;
  allocationId: string;
  index: number;
  amount: string;
  decimals: number;
  unlockAt: Date;
  status: Exclude<ReleaseStatus, ReleaseStatus.CANCELLED>;
  externalTxId: string;
  custodyTxId: string | null;
  txHash: string | null;
  failureReason: string | null;
  releasedAt: Date | null;
}

/** FROM clause of release reads: the release `r`, its allocation `al` (for visibility), the asset `a`. */
export const RELEASE_FROM = 'vesting_release r join allocation al on al.id = r.allocation_id join asset a on a.id = al.asset_id';

export const RELEASE_COLUMNS = `r.id, r.allocation_id as "allocationId", r.index, r.amount, a.decimals, r.unlock_at as "unlockAt", r.status,
  r.external_tx_id as "externalTxId", r.custody_tx_id as "custodyTxId", r.tx_hash as "txHash", r.failure_reason as "failureReason", r.released_at as "releasedAt"`;

export type ReleaseRow = Omit<ReleaseView, 'unlockAt' | 'releasedAt'> & { unlockAt: Date | string; releasedAt: Date | string | null };

export function releaseView(r: ReleaseRow): ReleaseView {
  return { ...r, unlockAt: asDate(r.unlockAt), releasedAt: asDateOrNull(r.releasedAt) };
}
