import { randomBytes } from 'node:crypto';
import { connectOrm, migrate, type Orm } from '../../../src/db/orm.js';
import { Network } from '../../../src/entities/enums.js';
import { generateKey } from '../../../src/services/chain/private-key.js';
import { keyring, type Keyring } from '../../../src/services/wallet-keys/master-keys.js';
import { MasterKeyMismatchError, verifyMasterKeys } from '../../../src/services/wallet-keys/verify-master-keys.js';
import { newWalletRow } from '../../../src/services/wallets/create-wallet-rows.js';
import { createTestDatabase, type TestDatabase } from '../../support/database.js';
import { rejection } from '../../support/rejection.js';

const masterKey = (version: number) => ({ version, key: randomBytes(32) });
const V1 = masterKey(1);
const V2 = masterKey(2);

let db: TestDatabase;
let orm: Orm;
let siteId: string;

beforeAll(async () => {
  db = await createTestDatabase();
  orm = await connectOrm(db.url, 2);
  await migrate(orm);
  siteId = (await orm.em.fork().getConnection().execute<{ id: string }[]>(`insert into site (id, slug, name, created_at) values (gen_random_uuid(), 'keys', 'Keys', now()) returning id`))[0]!.id;
});
afterAll(async () => {
  await orm.close(true);
  await db.drop();
});
beforeEach(() => orm.em.fork().getConnection().execute('delete from wallet'));

/** `count` wallets sealed under the newest key of `ring`; their ids in the order the check reads them (by id). */
async function seal(ring: Keyring, count: number): Promise<string[]> {
  const em = orm.em.fork();
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const key = generateKey(Network.ETHEREUM);
    const w = newWalletRow(em, siteId, Network.ETHEREUM, key.address, key.privateKeyHex, ring, null);
    em.persist(w);
    ids.push(w.id);
  }
  await em.flush();
  return ids.sort();
}

/** Flips one byte of a wallet's ciphertext, as disk or a bad restore might. */
async function damage(walletId: string): Promise<void> {
  await orm.em.fork().getConnection().execute(`update wallet set sealed_key = set_byte(sealed_key, 14, (get_byte(sealed_key, 14) + 1) % 256) where id = ?`, [walletId]);
}

const verify = (ring: Keyring) => verifyMasterKeys(orm.em.fork(), ring);

describe('start-up master key check', () => {
  it('passes when the configured keys open the wallets of every version', async () => {
    await seal(keyring([V1]), 4);
    await seal(keyring([V2, V1]), 4);
    await expect(verify(keyring([V2, V1]))).resolves.toMatchObject({ checked: [1, 2] });
  });

  it('says the key is wrong when no checked wallet of a version opens', async () => {
    await seal(keyring([V1]), 5);
    const e = await rejection(verify(keyring([masterKey(1)])));
    expect(e).toBeInstanceOf(MasterKeyMismatchError);
    expect(e.message).toMatch(/WALLET_MASTER_KEYS version 1 does not open the wallets sealed with it: wrong key for this database/);
    expect(e.message).not.toMatch(/damaged/);
  });

  it('names a damaged wallet instead of blaming the key when other wallets of its version open', async () => {
    const ids = await seal(keyring([V1]), 5);
    // The first by id: the one wallet the check used to look at.
    await damage(ids[0]!);
    const e = await rejection(verify(keyring([V1])));
    expect(e.message).not.toMatch(/wrong key/);
    expect(e.message).toContain(`damaged: ${ids[0]}`);
    expect(e.message).toMatch(/version 1 is right/);
    expect(e).not.toBeInstanceOf(MasterKeyMismatchError);
  });

  it('names every damaged wallet among those it checks', async () => {
    const ids = await seal(keyring([V1]), 5);
    await damage(ids[0]!);
    await damage(ids[2]!);
    const e = await rejection(verify(keyring([V1])));
    expect(e.message).toContain(`damaged: ${ids[0]}, ${ids[2]}`);
  });

  it('cannot tell a wrong key from a damaged row with one wallet only, and says both', async () => {
    const [only] = await seal(keyring([V1]), 1);
    await damage(only!);
    const e = await rejection(verify(keyring([V1])));
    expect(e).toBeInstanceOf(MasterKeyMismatchError);
    expect(e.message).toMatch(/wrong key for this database/);
    expect(e.message).toContain(`or wallet ${only} is damaged`);
  });

  it('still refuses a version that is not configured at all', async () => {
    await seal(keyring([V2, V1]), 2);
    const e = await rejection(verify(keyring([V1])));
    expect(e).toBeInstanceOf(MasterKeyMismatchError);
    expect(e.message).toMatch(/has no version 2/);
  });

  it('passes with an empty wallet table', async () => {
    await expect(verify(keyring([V1]))).resolves.toEqual({ checked: [] });
  });
});
