import { readFileSync } from 'node:fs';
import { importJWK, type CryptoKey } from 'jose';
import type { Config } from '../../config.js';
import type { Orm } from '../../db/orm.js';
import type { Logger } from '../../logger.js';
import type { CustodyPort } from './custody-port.js';
import { fireblocksLive } from './fireblocks-live.js';
import { combinedJwks, importStaticKeys, localJwks, remoteJwks, type JWKSResolver, type WebhookKeys } from './fireblocks-signature.js';
import { createMockCustody, type MockCustody } from './mock-custody.js';

/** Least time between two JWKS downloads an unknown kid may cause (the "at most one refresh a minute"). */
const JWKS_MIN_REFRESH_MS = 60_000;

export interface Payouts {
  custody: CustodyPort;
  /** The MOCK simulator when PAYOUT_MODE=MOCK (tests tell it to fail releases; the app tells it where to deliver). */
  mock: MockCustody | null;
  /** The keys webhook signatures are checked against: configured ones, plus the simulator's in MOCK mode. */
  webhookKeys: WebhookKeys;
}

/**
 * Custody by PAYOUT_MODE (config.ts already refused LIVE without ALLOW_PROD_TX=1 and credentials) and
 * the webhook verification keys: FIREBLOCKS_JWKS_URL (cached) and/or FIREBLOCKS_JWKS_FILE for v2,
 * FIREBLOCKS_WEBHOOK_PUBLIC_KEYS for v1, and in MOCK mode the simulator's own key too.
 */
export async function createPayouts(config: Config, orm: Orm, logger: Logger): Promise<Payouts> {
  let mock: MockCustody | null = null;
  let custody: CustodyPort;
  if (config.PAYOUT_MODE === 'LIVE') {
    custody = fireblocksLive({
      apiKey: config.FIREBLOCKS_API_KEY!,
      secretKeyPem: config.FIREBLOCKS_SECRET_KEY!,
      basePath: config.FIREBLOCKS_BASE_URL,
      vaultAccountId: config.FIREBLOCKS_VAULT_ACCOUNT_ID!,
      timeoutMs: config.CHAIN_READ_TIMEOUT_MS,
    });
    logger.warn({ baseUrl: config.FIREBLOCKS_BASE_URL, vaultAccountId: config.FIREBLOCKS_VAULT_ACCOUNT_ID }, 'LIVE payouts: releases are paid with real transactions');
  } else {
    mock = await createMockCustody({ orm, logger, stepMs: config.MOCK_CUSTODY_STEP_MS, edgeSecret: config.EDGE_SHARED_SECRET });
    custody = mock;
  }
  // Local key sets first: a kid they hold never costs a download of the remote one.
  const resolvers: JWKSResolver[] = [];
  if (mock) resolvers.push(localJwks(mock.jwks()));
  if (config.FIREBLOCKS_JWKS_FILE) resolvers.push(localJwks(JSON.parse(readFileSync(config.FIREBLOCKS_JWKS_FILE, 'utf8')) as unknown));
  if (config.FIREBLOCKS_JWKS_URL) resolvers.push(remoteJwks(config.FIREBLOCKS_JWKS_URL, { minRefreshMs: JWKS_MIN_REFRESH_MS }));
  const staticKeys = config.FIREBLOCKS_WEBHOOK_PUBLIC_KEYS ? await importStaticKeys(config.FIREBLOCKS_WEBHOOK_PUBLIC_KEYS) : [];
  // The simulator signs v1 with the same key as v2.
  if (mock) staticKeys.push(...(await Promise.all(mock.jwks().keys.map(async (k) => (await importJWK(k, 'RS512')) as CryptoKey))));
  return { custody, mock, webhookKeys: { staticKeys, jwks: resolvers.length ? combinedJwks(...resolvers) : null } };
}
