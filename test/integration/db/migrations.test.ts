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
