import type { Site } from '../../entities/site.entity.js';
import { asDate, asDateOrNull } from '../../db/plain-reads.js';
import type { Scope } from '../scope.js';

/** A site as reads return it: the entity's columns as plain data. */
export type SiteView = Pick<Site, 'id' | 'slug' | 'name' | 'tokenPrice' | 'minOrderAmount' | 'maxOrderAmount' | 'orderTtlMinutes' | 'walletCooldownMinutes' | 'tgeAt' | 'createdAt'>;

/** Every site, for SUPER_ADMINs (the permission layer checks the role); plain rows, no hydration. */
export async function listSites(scope: Scope): Promise<SiteView[]> {
  const rows = await scope.deps.reads.rows<SiteView>(
    `select id, slug, name, token_price as "tokenPrice", min_order_amount as "minOrderAmount", max_order_amount as "maxOrderAmount",
       order_ttl_minutes as "orderTtlMinutes", wallet_cooldown_minutes as "walletCooldownMinutes", tge_at as "tgeAt", created_at as "createdAt"
     from site order by created_at, id`,
  );
  return rows.map((s) => ({ ...s, createdAt: asDate(s.createdAt), tgeAt: asDateOrNull(s.tgeAt) }));
}
