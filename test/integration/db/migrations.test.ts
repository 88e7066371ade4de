import 'reflect-metadata';
import { connectOrm, migrate } from '../../../src/db/orm.js';
import { createTestDatabase } from '../../support/database.js';

describe('migrations', () => {
  it('apply once when several processes migrate the same database at the same moment', async () => {
    const db = await createTestDatabase();
    const orms = await Promise.all([1, 2, 3].map(() => connectOrm(db.url, 2)));
    try {
      const applied = await Promise.all(orms.map((o) => migrate(o)));
      const all = applied.flat();
      // Every migration ran exactly once in total, whichever process ran it.
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBe((await orms[0]!.migrator.getExecuted()).length);
      expect(await orms[0]!.migrator.getPending()).toEqual([]);
    } finally {
      await Promise.all(orms.map((o) => o.close(true)));
      await db.drop();
    }
  });
});

describe('bootstrap', () => {
  it('creates exactly one SUPER_ADMIN when several processes start at once', async () => {
    const { bootstrapAdmin } = await import('../../../src/services/users/bootstrap-admin.js');
    const db = await createTestDatabase();
    const orm = await connectOrm(db.url, 8);
    try {
      await migrate(orm);
      const results = await Promise.all(
        Array.from({ length: 6 }, () => bootstrapAdmin(orm.em.fork(), { email: 'root@race.test', password: 'race-password-123', allowGenerated: false, scryptN: 1024 })),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      const [{ n }] = (await orm.em.getConnection().execute<{ n: string }[]>(`select count(*) as n from app_user where role = 'SUPER_ADMIN'`)) as [{ n: string }];
      expect(Number(n)).toBe(1);
    } finally {
      await orm.close(true);
      await db.drop();
    }
  });
});
