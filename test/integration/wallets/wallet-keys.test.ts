import { randomBytes } from 'node:crypto';
import { startApp, type RunningApp } from '../../../src/app.js';
import { loadConfig, type Config } from '../../../src/config.js';
import { connectOrm } from '../../../src/db/orm.js';
import { Network } from '../../../src/entities/enums.js';
import { createLogger, type Logger } from '../../../src/logger.js';
import { keyring } from '../../../src/services/wallet-keys/master-keys.js';
import { StaleKeyringError, rotateAllWalletKeys, rotateWalletKeysBatch } from '../../../src/services/wallet-keys/rotate-wallet-keys.js';
import { MasterKeyMismatchError } from '../../../src/services/wallet-keys/verify-master-keys.js';
import { withWalletKey } from '../../../src/services/wallet-keys/wallet-key-cipher.js';
import { generateWallets } from '../../../src/services/wallets/generate-wallets.js';
import { siteScope } from '../../support/scope.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { rejection } from '../../support/rejection.js';

const key = () => randomBytes(32).toString('base64');
const V1 = `1:${key()}`;
const V2 = `2:${key()}`;

/** One test's own database and log. */
interface Custody {
  db: TestDatabase;
  logs: string[];
  logger: Logger;
  config(masterKeys: string): Config;
}

async function custody(template?: TestDatabase): Promise<Custody> {
  const db = await createTestDatabase({ template });
  const logs: string[] = [];
  return {
    db,
    logs,
    logger: createLogger('debug', { write: (s: string) => void logs.push(s) } as never),
    config: (masterKeys) =>
      loadConfig({
        NODE_ENV: 'test',
        PORT: '0',
        DATABASE_URL: db.url,
        JWT_SECRET: 'custody-test-secret-0123456789abcdef',
        WALLET_MASTER_KEYS: masterKeys,
        PASSWORD_SCRYPT_N: '1024',
        BOOTSTRAP_ADMIN_EMAIL: 'root@custody.test',
        BOOTSTRAP_ADMIN_PASSWORD: 'root-password-123',
      }),
  };
}

/** Generates 25 ETHEREUM and 25 TRON wallets under V1 and returns each wallet's private key (hex). */
async function sealUnderV1(c: Custody): Promise<Map<string, string>> {
  const plaintexts = new Map<string, string>();
  const app = await startApp(c.config(V1), c.logger);
  try {
    const em = app.db.orm.em.fork();
    const siteId = (await em.getConnection().execute<{ id: string }[]>(`insert into site (id, slug, name, created_at) values (gen_random_uuid(), 'custody', 'Custody', now()) returning id`))[0]!.id;
    const ring = keyring(app.config.WALLET_MASTER_KEYS);
    for (const network of [Network.ETHEREUM, Network.TRON]) {
      for (const w of await generateWallets(siteScope(app, siteId), { network, count: 25 })) {
        withWalletKey({ sealed: w.sealedKey, keyVersion: w.keyVersion }, { walletId: w.id, network: w.network, address: w.address }, ring, (k) => plaintexts.set(w.id, k.toString('hex')));
      }
    }
  } finally {
    await app.stop();
  }
  return plaintexts;
}

/** Rotates every wallet to the newest key of `masterKeys` without starting the app. */
async function rotateOffline(c: Custody, masterKeys: string): Promise<void> {
  const o = await connectOrm(c.db.url, 2);
  try {
    expect(await rotateAllWalletKeys(o.em.fork(), keyring(c.config(masterKeys).WALLET_MASTER_KEYS), { batchSize: 50 })).toMatchObject({ remaining: 0, failed: [] });
  } finally {
    await o.close(true);
  }
}

/** A wallet row as stored. */
interface WalletRow {
  id: string;
  network: Network;
  address: string;
  sealed_key: Buffer;
  key_version: number;
}
const walletRows = (app: RunningApp) => app.db.orm.em.fork().getConnection().execute<WalletRow[]>('select id, network, address, sealed_key, key_version from wallet order by id');

// Each test copies this database (50 wallets sealed under V1), so none sees another's changes.
let sealedV1: TestDatabase;
let sealedPlaintexts: Map<string, string>;
const own: TestDatabase[] = [];
const fromSealedV1 = async () => {
  const c = await custody(sealedV1);
  own.push(c.db);
  return c;
};

beforeAll(async () => {
  const c = await custody();
  sealedV1 = c.db;
  sealedPlaintexts = await sealUnderV1(c);
});
afterEach(async () => {
  await Promise.all(own.splice(0).map((d) => d.drop()));
});
afterAll(() => sealedV1.drop());

describe('wallet key custody across restarts', () => {
  it('seals generated wallets under the newest key (v1)', async () => {
    const c = await custody();
    own.push(c.db);
    const plaintexts = await sealUnderV1(c);
    expect(plaintexts.size).toBe(50);
    const app = await startApp(c.config(V1), c.logger);
    try {
      const rows = await walletRows(app);
      expect(new Set(rows.map((r) => r.key_version))).toEqual(new Set([1]));
      expect(rows.map((r) => r.id).sort()).toEqual([...plaintexts.keys()].sort());
    } finally {
      await app.stop();
    }
  });

  it('refuses to start with a wrong master key, saying so', async () => {
    const c = await fromSealedV1();
    const e = await rejection(startApp(c.config(`1:${key()}`), c.logger));
    expect(e).toBeInstanceOf(MasterKeyMismatchError);
    expect(e.name).toBe('MasterKeyMismatchError');
    expect(e.message).toMatch(/WALLET_MASTER_KEYS version 1 does not open the wallets sealed with it/);
  });

  it('refuses to start when a version still in use is missing', async () => {
    const c = await fromSealedV1();
    const e = await rejection(startApp(c.config(V2), c.logger));
    expect(e).toBeInstanceOf(MasterKeyMismatchError);
    expect(e.name).toBe('MasterKeyMismatchError');
    expect(e.message).toMatch(/has no version 1/);
  });

  it('rotates everything to v2 in resumable batches, keeping every key intact', async () => {
    const c = await fromSealedV1();
    const app = await startApp(c.config(`${V2},${V1}`), c.logger);
    try {
      const ring = keyring(app.config.WALLET_MASTER_KEYS);
      const first = await rotateWalletKeysBatch(app.db.orm.em.fork(), ring, 20);
      expect(first).toEqual({ rotated: 20, remaining: 30, newestVersion: 2, failed: [] });
      // A crash here loses nothing: the next run picks up where the data says it stopped.
      const progress: number[] = [];
      const rest = await rotateAllWalletKeys(app.db.orm.em.fork(), ring, { batchSize: 7, onProgress: (p) => progress.push(p.remaining) });
      expect(rest).toEqual({ rotated: 30, remaining: 0, failed: [] });
      expect(progress.at(-1)).toBe(0);
      const rows = await walletRows(app);
      expect(new Set(rows.map((r) => r.key_version))).toEqual(new Set([2]));
      expect(rows).toHaveLength(sealedPlaintexts.size);
      const v2Only = keyring([ring.newest]);
      for (const r of rows) {
        const opened = withWalletKey({ sealed: r.sealed_key, keyVersion: r.key_version }, { walletId: r.id, network: r.network, address: r.address }, v2Only, (k) => k.toString('hex'));
        expect(opened).toBe(sealedPlaintexts.get(r.id));
      }
      // Nothing left to do: a second run is a no-op.
      expect(await rotateAllWalletKeys(app.db.orm.em.fork(), ring, { batchSize: 7 })).toEqual({ rotated: 0, remaining: 0, failed: [] });
    } finally {
      await app.stop();
    }
  });

  it('starts with v2 alone once every wallet is rotated to it', async () => {
    const c = await fromSealedV1();
    await rotateOffline(c, `${V2},${V1}`);
    const app = await startApp(c.config(V2), c.logger);
    try {
      expect(app.config.WALLET_MASTER_KEYS.map((k) => k.version)).toEqual([2]);
      expect(new Set((await walletRows(app)).map((r) => r.key_version))).toEqual(new Set([2]));
      expect((await fetch(`${app.url}/readyz`)).status).toBe(200);
    } finally {
      await app.stop();
    }
  });

  it('reports a tampered ciphertext, leaves it untouched and rotates the rest', async () => {
    const c = await fromSealedV1();
    const app = await startApp(c.config(`${V2},${V1}`), c.logger);
    try {
      const conn = app.db.orm.em.fork().getConnection();
      const [victim] = await walletRows(app);
      const tampered = Buffer.from(victim!.sealed_key);
      tampered[20]! ^= 0xff;
      await conn.execute('update wallet set sealed_key = ? where id = ?', [tampered, victim!.id]);
      const ring = keyring(app.config.WALLET_MASTER_KEYS);
      const result = await rotateAllWalletKeys(app.db.orm.em.fork(), ring, { batchSize: 10 });
      expect(result).toEqual({ rotated: 49, remaining: 1, failed: [victim!.id] });
      const [after] = await conn.execute<{ sealed_key: Buffer; key_version: number }[]>('select sealed_key, key_version from wallet where id = ?', [victim!.id]);
      expect(after!.key_version).toBe(1);
      expect(after!.sealed_key.equals(tampered)).toBe(true);
      // Through the job, the failure is reported without the key or the ids in the reason.
      await app.jobs.agenda.now('wallets.rotate-keys');
      await app.jobs.startProcessing();
      const end = Date.now() + 15000;
      let reason: string | undefined;
      while (!reason && Date.now() < end) {
        reason = (await app.jobs.stats()).find((j) => j.name === 'wallets.rotate-keys')?.lastFailureReason ?? undefined;
        if (!reason) await new Promise((r) => setTimeout(r, 100));
      }
      expect(reason).toBe('1 wallet key(s) could not be opened and were not rotated (ids in the log)');
    } finally {
      await app.stop();
    }
  });

  it('never rotates backwards: a process with an older key list refuses', async () => {
    const c = await fromSealedV1();
    await rotateOffline(c, `${V2},${V1}`);
    // Start-up already refuses a key list that cannot open the database's newest version...
    const refused = await rejection(startApp(c.config(V1), c.logger));
    expect(refused).toBeInstanceOf(MasterKeyMismatchError);
    expect(refused.message).toMatch(/has no version 2/);
    // ...and a process that started before the new key arrived refuses to rotate.
    const stale = keyring(c.config(V1).WALLET_MASTER_KEYS);
    const o = await connectOrm(c.db.url, 2);
    try {
      const e = await rejection(rotateWalletKeysBatch(o.em.fork(), stale, 10));
      expect(e).toBeInstanceOf(StaleKeyringError);
      expect(e.name).toBe('StaleKeyringError');
      expect(e.message).toMatch(/newer than this process's newest \(1\): refusing to rotate backwards/);
      // Nothing moved.
      const versions = await o.em.fork().getConnection().execute<{ key_version: number }[]>('select distinct key_version from wallet');
      expect(versions).toEqual([{ key_version: 2 }]);
    } finally {
      await o.close(true);
    }
  });

  it('never writes key material to the logs: sealing, refused starts, rotation and a failed rotation job', async () => {
    const c = await custody();
    own.push(c.db);
    const plaintexts = await sealUnderV1(c);
    await rejection(startApp(c.config(`1:${key()}`), c.logger));
    const app = await startApp(c.config(`${V2},${V1}`), c.logger);
    let victimId: string | undefined;
    try {
      const [victim] = await walletRows(app);
      victimId = victim!.id;
      const tampered = Buffer.from(victim!.sealed_key);
      tampered[20]! ^= 0xff;
      await app.db.orm.em.fork().getConnection().execute('update wallet set sealed_key = ? where id = ?', [tampered, victim!.id]);
      await app.jobs.agenda.now('wallets.rotate-keys');
      await app.jobs.startProcessing();
      const end = Date.now() + 15000;
      while (!c.logs.some((l) => l.includes('wallet keys that do not open')) && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    } finally {
      await app.stop();
    }
    const text = c.logs.join('');
    // The run logged what an operator needs: progress and the wallet that did not open, by id.
    expect(text).toContain('wallet key rotation progress');
    expect(c.logs.find((l) => l.includes('wallet keys that do not open'))).toContain(victimId!);
    for (const hex of plaintexts.values()) {
      expect(text).not.toContain(hex);
      expect(text).not.toContain(Buffer.from(hex, 'hex').toString('base64'));
    }
    for (const spec of [V1, V2]) expect(text).not.toContain(spec.slice(2));
  });
});
