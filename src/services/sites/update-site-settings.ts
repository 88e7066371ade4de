import { LockMode } from '@mikro-orm/postgresql';
import { Site } from '../../entities/site.entity.js';
import { recordAudit } from '../audit/record-audit.js';
import { requireSiteId } from '../auth/actor.js';
import { InvalidInputError } from '../errors.js';
import { formatPrice, parsePrice, priceFromColumn } from '../money/price.js';
import type { Scope } from '../scope.js';

export interface SiteSettingsChange {
  tokenPrice?: string | null;
  minOrderAmount?: string | null;
  maxOrderAmount?: string | null;
  orderTtlMinutes?: number | null;
  walletCooldownMinutes?: number | null;
  tgeAt?: Date | null;
}

/** A positive decimal of the NUMERIC(38,18) columns (price and order limits), normalised; null clears. */
function decimalSetting(value: string | null | undefined, field: string): string | null | undefined {
  if (value === undefined || value === null) return value;
  return formatPrice(parsePrice(value, field));
}

function requiredNumber(value: number | null | undefined, field: string): number | undefined {
  if (value === null) throw new InvalidInputError(`${field} cannot be cleared`, { field });
  return value;
}

/** A setting as the audit log and comparisons see it: decimals without trailing zeros, dates in ISO. */
function shown(v: string | number | Date | null): string | number | null {
  if (v instanceof Date) return v.toISOString();
  return typeof v === 'string' ? formatPrice(priceFromColumn(v)) : v;
}

const FIELDS = ['tokenPrice', 'minOrderAmount', 'maxOrderAmount', 'orderTtlMinutes', 'walletCooldownMinutes', 'tgeAt'] as const;

/**
 * Changes the sent sale settings of the caller's site. The site row is locked for the change, so two
 * admins editing at once cannot leave min above max between them; the audit entry records each
 * changed field's old and new value.
 */
export async function updateSiteSettings(scope: Scope, input: SiteSettingsChange): Promise<Site> {
  const siteId = requireSiteId(scope);
  const change: SiteSettingsChange = {
    tokenPrice: decimalSetting(input.tokenPrice, 'tokenPrice'),
    minOrderAmount: decimalSetting(input.minOrderAmount, 'minOrderAmount'),
    maxOrderAmount: decimalSetting(input.maxOrderAmount, 'maxOrderAmount'),
    orderTtlMinutes: requiredNumber(input.orderTtlMinutes, 'orderTtlMinutes'),
    walletCooldownMinutes: requiredNumber(input.walletCooldownMinutes, 'walletCooldownMinutes'),
    tgeAt: input.tgeAt,
  };
  return scope.em.transactional(async (tx) => {
    const site = await tx.findOneOrFail(Site, { id: siteId }, { lockMode: LockMode.PESSIMISTIC_WRITE });
    const changed: Record<string, { from: unknown; to: unknown }> = {};
    for (const field of FIELDS) {
      const to = change[field];
      if (to === undefined) continue;
      const from = shown(site[field]);
      if (from === shown(to)) continue;
      changed[field] = { from, to: shown(to) };
      Object.assign(site, { [field]: to });
    }
    if (site.minOrderAmount !== null && site.maxOrderAmount !== null && priceFromColumn(site.minOrderAmount).units > priceFromColumn(site.maxOrderAmount).units) {
      throw new InvalidInputError('minOrderAmount must not be above maxOrderAmount', { field: 'minOrderAmount' });
    }
    if (Object.keys(changed).length) recordAudit(tx, scope, { action: 'site.settings_updated', targetType: 'Site', targetId: siteId, details: changed });
    return site;
  });
}
