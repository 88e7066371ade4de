/**
 * The worker's JWKS cache on a clock the test drives: when a new kid is picked up, when a withdrawn key
 * is dropped, and how often the JWKS is downloaded, without waiting out any interval. The JWKS is
 * served over real HTTP; the signature checks that use the cache run in workerd (signatures.test.ts).
 */
import { JwksCache, type KeyLookup } from '../../edge/src/jwks.js';
import { signingKey, type SigningKey } from './support/fireblocks.js';
import { startJwks, type JwksServer } from './support/servers.js';

const MIN_REFRESH_MS = 60_000;
const MAX_AGE_MS = 3600_000;

let oldKey: SigningKey;
let newKey: SigningKey;
let jwks: JwksServer;
let clock: number;
let cache: JwksCache;

const kind = async (kid: string): Promise<KeyLookup['kind']> => (await cache.lookup(kid)).kind;

beforeAll(() => {
  [oldKey, newKey] = [signingKey('fb-2025-01'), signingKey('fb-2026-01')];
});
beforeEach(async () => {
  jwks = await startJwks([oldKey.jwk]);
  clock = Date.UTC(2026, 0, 1);
  cache = new JwksCache({ url: jwks.url, minRefreshMs: MIN_REFRESH_MS, now: () => clock });
});
afterEach(() => jwks.stop());

describe('JWKS key rotation', () => {
  it('picks up a new kid once the refresh interval has passed, and not before', async () => {
    expect(await kind(oldKey.kid)).toBe('found');
    expect(jwks.hits).toBe(1);
    // Fireblocks publishes its next key and starts signing with it.
    jwks.keys = [oldKey.jwk, newKey.jwk];
    expect(await kind(newKey.kid)).toBe('unknown');
    clock += MIN_REFRESH_MS - 1;
    expect(await kind(newKey.kid)).toBe('unknown');
    expect(jwks.hits).toBe(1);
    clock += 1;
    expect(await kind(newKey.kid)).toBe('found');
    expect(jwks.hits).toBe(2);
    expect(await kind(oldKey.kid)).toBe('found');

    // The old key is withdrawn: a known kid triggers no download, the next download drops it.
    jwks.keys = [newKey.jwk];
    clock += MIN_REFRESH_MS;
    expect(await kind(oldKey.kid)).toBe('found');
    expect(jwks.hits).toBe(2);
    expect(await kind('fb-2027-01')).toBe('unknown'); // triggers the download
    expect(jwks.hits).toBe(3);
    expect(await kind(oldKey.kid)).toBe('unknown');
    expect(await kind(newKey.kid)).toBe('found');
    expect(jwks.hits).toBe(3);
  });

  it('downloads once per refresh interval however many unknown kids arrive', async () => {
    expect(await kind(oldKey.kid)).toBe('found');
    for (let i = 0; i < 20; i++) {
      clock += 1000;
      expect(await kind(`made-up-${i}`)).toBe('unknown');
    }
    expect(jwks.hits).toBe(1);
    clock += MIN_REFRESH_MS;
    expect(await kind('made-up-again')).toBe('unknown');
    expect(jwks.hits).toBe(2);
  });

  it('refreshes a known kid once the keys are an hour old, so a withdrawn key stops working', async () => {
    expect(await kind(oldKey.kid)).toBe('found');
    jwks.keys = [newKey.jwk];
    clock += MAX_AGE_MS - 1;
    expect(await kind(oldKey.kid)).toBe('found');
    expect(jwks.hits).toBe(1);
    clock += 1;
    expect(await kind(oldKey.kid)).toBe('unknown');
    expect(jwks.hits).toBe(2);
  });
});

describe('JWKS endpoint down', () => {
  it('keeps the keys it has, and says unavailable for an unknown kid until a download works again', async () => {
    expect(await kind(oldKey.kid)).toBe('found');
    jwks.failing = true;
    clock += MIN_REFRESH_MS;
    expect(await kind(newKey.kid)).toBe('unavailable');
    expect(jwks.hits).toBe(2);
    expect(await kind(oldKey.kid)).toBe('found');
    // Back, with the new key: still no download before the interval has passed again.
    jwks.failing = false;
    jwks.keys = [oldKey.jwk, newKey.jwk];
    expect(await kind(newKey.kid)).toBe('unavailable');
    expect(jwks.hits).toBe(2);
    clock += MIN_REFRESH_MS;
    expect(await kind(newKey.kid)).toBe('found');
    expect(jwks.hits).toBe(3);
  });
});
