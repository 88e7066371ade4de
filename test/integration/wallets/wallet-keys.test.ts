import { randomBytes } from 'node:crypto';
import { startApp } from '../../../src/app.js';
import { loadConfig } from '../../../src/config.js';
import { Network } from '../../../src/entities/enums.js';
import { createLogger } from '../../../src/logger.js';
import { keyring } from '../../../src/services/wallet-keys/master-keys.js';
import { rotateAllWalletKeys, rotateWalletKeysBatch } from '../../../src/services/wallet-keys/rotate-wallet-keys.js';
import { withWalletKey } from '../../../src/services/wallet-keys/wallet-key-cipher.js';
import { generateWallets } from '../../../src/services/wallets/generate-wallets.js';
import { siteScope } from '../../support/scope.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';

const key = () => randomBytes(32).toString('base64');
const V1 = `1:${key()}`;
const V2 = `2:${key()}`;

let db: TestDatabase;
const logs: string[] = [];

function config(masterKeys: string) {
  return loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    DATABASE_URL: db.url,
    JWT_SECRET: 'custody-test-secret-0123456789abcdef',
    WALLET_MASTER_KEYS: masterKeys,
    PASSWORD_SCRYPT_N: '1024',
    BOOTSTRAP_ADMIN_EMAIL: 'root@custody.test',
    BOOTSTRAP_ADMIN_PASSWORD: 'root-password-123',
  });
}
const logger = createLogger('debug', { write: (s: string) => void logs.push(s) } as never);

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(() => db.drop());

describe('wallet key custody across restarts', () => {
  let siteId: string;
  const plaintexts = new Map<string, string>();

  it('seals generated wallets under the newest key (v1)', async () => {
    const app = await startApp(config(V1), logger);
    try {
      const em = app.db.orm.em.fork();
      siteId = (await em.getConnection().execute<{ id: string }[]>(`insert into site (id, slug, name, created_at) values (gen_random_uuid(), 'custody', 'Custody', now()) returning id`))[0]!.id;
      const ring = keyring(app.config.WALLET_MASTER_KEYS);
      const wallets = await generateWallets(siteScope(app, siteId), { network: Network.ETHEREUM, count: 25 });
      await generateWallets(siteScope(app, siteId), { network: Network.TRON, count: 25 });
      for (const w of wallets) {
        withWalletKey({ sealed: w.sealedKey, keyVersion: w.keyVersion }, { walletId: w.id, network: w.network, address: w.address }, ring, (k) => plaintexts.set(w.id, k.toString('hex')));
      }
      const versions = await em.getConnection().execute<{ key_version: number }[]>('select distinct key_version from wallet');
      expect(versions).toEqual([{ key_version: 1 }]);
    } finally {
      await app.stop();
    }
  });

  it('refuses to start with a wrong master key, saying so', async () => {
    await expect(startApp(config(`1:${key()}`), logger)).rejects.toThrow(/WALLET_MASTER_KEYS version 1 does not open the wallets sealed with it/);
  });

  it('refuses to start when a version still in use is missing', async () => {
    await expect(startApp(config(V2), logger)).rejects.toThrow(/has no version 1/);
  });

  it('rotates everything to v2 in resumable batches, keeping every key intact', async () => {
    const app = await startApp(config(`${V2},${V1}`), logger);
    try {
      const ring = keyring(app.config.WALLET_MASTER_KEYS);
      const first = await rotateWalletKeysBatch(app.db.orm.em.fork(), ring, 20);
      expect(first).toEqual({ rotated: 20, remaining: 30, newestVersion: 2, failed: [] });
      // A crash here loses nothing: the next run picks up where the data says it stopped.
      const progress: number[] = [];
      const rest = await rotateAllWalletKeys(app.db.orm.em.fork(), ring, { batchSize: 7, onProgress: (p) => progress.push(p.remaining) });
      expect(rest).toEqual({ rotated: 30, remaining: 0, failed: [] });
      expect(progress.at(-1)).toBe(0);
      const rows = await app.db.orm.em.fork().getConnection().execute<{ id: string; network: Network; address: string; sealed_key: Buffer; key_version: number }[]>(
        'select id, network, address, sealed_key, key_version from wallet',
      );
      expect(new Set(rows.map((r) => r.key_version))).toEqual(new Set([2]));
      for (const r of rows) {
        const opened = withWalletKey({ sealed: r.sealed_key, keyVersion: r.key_version }, { walletId: r.id, network: r.network, address: r.address }, keyring([keyring(app.config.WALLET_MASTER_KEYS).newest]), (k) => k.toString('hex'));
        if (plaintexts.has(r.id)) expect(opened).toBe(plaintexts.get(r.id));
      }
      // Nothing left to do: a second run is a no-op.
      expect(await rotateAllWalletKeys(app.db.orm.em.fork(), ring, { batchSize: 7 })).toEqual({ rotated: 0, remaining: 0, failed: [] });
    } finally {
      await app.stop();
    }
  });

  it('then starts with v2 alone', async () => {
    const app = await startApp(config(V2), logger);
    await app.stop();
  });

  it('reports a tampered ciphertext, leaves it untouched and rotates the rest', async () => {
    const V3 = `3:${key()}`;
    const app = await startApp(config(`${V3},${V2}`), logger);
    try {
      const conn = app.db.orm.em.fork().getConnection();
      const [victim] = await conn.execute<{ id: string; sealed_key: Buffer }[]>('select id, sealed_key from wallet order by id limit 1');
      const tampered = Buffer.from(victim!.sealed_key);
      tampered[20]! ^= 0xff;
      await conn.execute('update wallet set sealed_key = ? where id = ?', [tampered, victim!.id]);
      const ring = keyring(app.config.WALLET_MASTER_KEYS);
      const result = await rotateAllWalletKeys(app.db.orm.em.fork(), ring, { batchSize: 10 });
      expect(result).toEqual({ rotated: 49, remaining: 1, failed: [victim!.id] });
      const [after] = await conn.execute<{ sealed_key: Buffer; key_version: number }[]>('select sealed_key, key_version from wallet where id = ?', [victim!.id]);
      expect(after!.key_version).toBe(2);
      expect(after!.sealed_key.equals(tampered)).toBe(true);
      // Through the job, the failure is reported without the key or the ids in the reason.
      await app.jobs.agenda.now('wallets.rotate-keys');
      await app.jobs.startProcessing();
      const end = Date.now() + 15000;
      let reason: string | undefined;
      while (!reason && Date.now() < end) {
        reason = (await app.jobs.stats()).find((j) => j.name === 'wallets.rotate-keys')?.lastFailureReason ?? undefined;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(reason).toBe('1 wallet key(s) could not be opened and were not rotated (ids in the log)');
    } finally {
      await app.stop();
    }
  });

  it('never rotates backwards: a process with an older key list refuses', async () => {
    const app = await startApp(config(`3:${key()},${V2}`), logger).catch((e: Error) => e);
    // Start-up already refuses a key list that cannot open the database's newest version...
    expect(app).toBeInstanceOf(Error);
    // ...and a process that started before the new key arrived refuses to rotate.
    const stale = keyring([{ version: 2, key: Buffer.from(V2.slice(2), 'base64') }]);
    const orm = (await import('../../../src/db/orm.js')).connectOrm;
    const o = await orm(db.url, 2);
    try {
      await expect(rotateWalletKeysBatch(o.em.fork(), stale, 10)).rejects.toThrow(/newer than this process's newest \(2\): refusing to rotate backwards/);
    } finally {
      await o.close(true);
    }
  });

  it('never wrote key material to the logs', () => {
    const text = logs.join('');
    expect(text.length).toBeGreaterThan(500);
    for (const hex of plaintexts.values()) {
      expect(text).not.toContain(hex);
      expect(text).not.toContain(Buffer.from(hex, 'hex').toString('base64'));
    }
    for (const spec of [V1, V2]) expect(text).not.toContain(spec.slice(2));
  });
});
