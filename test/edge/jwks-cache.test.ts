/**
 * The worker's JWKS cache (remoteJwks in src/services/payouts/fireblocks-signature.ts, jose's
 * createRemoteJWKSet underneath) on a clock the test drives: when a new kid is picked up, when a
 * withdrawn key is dropped, and how often the JWKS is downloaded, without waiting out any interval.
 * jose reads the time from Date.now(), so that is what the test drives. The JWKS is served over real
 * HTTP; the signature checks that use the cache run in workerd (signatures.test.ts).
 */
import { jest } from '@jest/globals';
import { errors } from 'jose';
import { JwksUnavailableError, remoteJwks, type JWKSResolver } from '../../src/services/payouts/fireblocks-signature.js';
import { signingKey, type SigningKey } from './support/fireblocks.js';
import { startJwks, type JwksServer } from './support/servers.js';

const MIN_REFRESH_MS = 60_000;
const MAX_AGE_MS = 3600_000;

let oldKey: SigningKey;
let newKey: SigningKey;
let jwks: JwksServer;
let clock: number;
let cache: JWKSResolver;

async function kind(kid: string): Promise<'found' | 'unknown' | 'unavailable'> {
  try {
    await cache({ alg: 'RS512', kid });
    return 'found';
  } catch (e) {
    if (e instanceof errors.JWKSNoMatchingKey) return 'unknown';
    if (e instanceof JwksUnavailableError) return 'unavailable';
    throw e;
  }
}

beforeAll(() => {
  [oldKey, newKey] = [signingKey('fb-2025-01'), signingKey('fb-2026-01')];
});
beforeEach(async () => {
  jwks = await startJwks([oldKey.jwk]);
  clock = Date.UTC(2026, 0, 1);
  jest.spyOn(Date, 'now').mockImplementation(() => clock);
  cache = remoteJwks(jwks.url, { minRefreshMs: MIN_REFRESH_MS });
});
afterEach(async () => {
  jest.restoreAllMocks();
  await jwks.stop();
});

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

describe('concurrent lookups', () => {
  it('share one download (jose shares it in Node; in workerd the module waits for it)', async () => {
    jwks.delayMs = 100;
    const kinds = await Promise.all(Array.from({ length: 20 }, (_, i) => kind(i % 2 ? oldKey.kid : 'made-up')));
    expect(kinds.filter((k) => k === 'found')).toHaveLength(10);
    expect(kinds.filter((k) => k === 'unknown')).toHaveLength(10);
    expect(jwks.hits).toBe(1);
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

  it('keeps verifying with the keys it has once they are an hour old (jose alone would refuse them)', async () => {
    expect(await kind(oldKey.kid)).toBe('found');
    jwks.failing = true;
    clock += MAX_AGE_MS;
    expect(await kind(oldKey.kid)).toBe('found');
    expect(jwks.hits).toBe(2);
    // Stale keys ask for a download on every use; a failed one holds the next back for the interval.
    clock += MIN_REFRESH_MS - 1;
    expect(await kind(oldKey.kid)).toBe('found');
    expect(await kind(newKey.kid)).toBe('unavailable');
    expect(jwks.hits).toBe(2);
    clock += 1;
    expect(await kind(newKey.kid)).toBe('unavailable');
    expect(jwks.hits).toBe(3);
    jwks.failing = false;
    jwks.keys = [newKey.jwk];
    clock += MIN_REFRESH_MS;
    expect(await kind(newKey.kid)).toBe('found');
    expect(await kind(oldKey.kid)).toBe('unknown');
    expect(jwks.hits).toBe(4);
  });

  it('never downloads more than once per interval while the endpoint is down, from the first lookup on', async () => {
    jwks.failing = true;
    for (let i = 0; i < 20; i++) {
      clock += 1000;
      expect(await kind(i % 2 ? oldKey.kid : `made-up-${i}`)).toBe('unavailable');
    }
    expect(jwks.hits).toBe(1);
    clock += MIN_REFRESH_MS;
    jwks.failing = false;
    expect(await kind(oldKey.kid)).toBe('found');
    expect(jwks.hits).toBe(2);
  });
});
