import type { PlainReads } from '../../db/plain-reads.js';

/** Whether a site exists (one plain statement; sites are the tenants, there is no site filter). */
export async function siteExists(reads: PlainReads, id: string): Promise<boolean> {
  const rows = await reads.rows<{ one: number }>('select 1 as one from site where id = ?', [id]);
  return rows.length > 0;
}
