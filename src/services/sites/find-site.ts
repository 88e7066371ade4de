import type { EntityManager } from '@mikro-orm/postgresql';
import type { PlainReads } from '../../db/plain-reads.js';
import { Site } from '../../entities/site.entity.js';

/** A site by id, or null. Sites are the tenants themselves, so there is no site filter to apply. */
export function findSite(em: EntityManager, id: string): Promise<Site | null> {
  return em.findOne(Site, { id });
}

/** Whether a site exists (one plain statement; sites are the tenants, there is no site filter). */
export async function siteExists(reads: PlainReads, id: string): Promise<boolean> {
  const rows = await reads.rows<{ one: number }>('select 1 as one from site where id = ?', [id]);
  return rows.length > 0;
}
