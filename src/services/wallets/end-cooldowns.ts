import type { EntityManager } from '@mikro-orm/postgresql';

/** COOLING_DOWN -> AVAILABLE once the cool-down has passed. */
export async function endCooldowns(em: EntityManager): Promise<number> {
  const res = await em.execute<{ affectedRows: number }>(
    // all-sites: the cool-down job frees every site's rested wallets in one statement.
    `update wallet set status = 'AVAILABLE', cooling_down_until = null, updated_at = now()
     where status = 'COOLING_DOWN' and cooling_down_until <= now()`,
    [],
    'run',
  );
  return res.affectedRows;
}
