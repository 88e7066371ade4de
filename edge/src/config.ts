/**
 * Turns the worker's string bindings into a checked configuration, once per isolate. A bad or missing
 * value makes every request answer 503 edge_misconfigured (and the log line names the variable), so a
 * broken deploy fails closed and Fireblocks keeps retrying until it is fixed.
 */
import type { Env } from './env.js';
import { parseAllowlist, type IpAllowlist } from './ip-allowlist.js';
import { importStaticKeys, remoteJwks, type JWKSResolver } from '../../src/services/payouts/fireblocks-signature.js';

export interface EdgeConfig {
  originUrl: URL;
  sharedSecret: string;
  webhookPaths: ReadonlySet<string>;
  maxBodyBytes: number;
  allowlist: IpAllowlist | null;
  staticKeys: readonly CryptoKey[];
  jwks: JWKSResolver | null;
  originTimeoutMs: number;
}

export type ConfigResult = { ok: true; config: EdgeConfig } | { ok: false; problems: string[] };

export const DEFAULT_MAX_BODY_BYTES = 65536;
export const DEFAULT_WEBHOOK_PATHS = '/webhooks/fireblocks';
const MIN_SECRET_LENGTH = 32;

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

function intVar(problems: string[], name: string, raw: string | number | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    problems.push(`${name} must be an integer from ${min} to ${max}`);
    return fallback;
  }
  return n;
}

/** https anywhere; plain http only to loopback (local development and tests). */
function urlVar(problems: string[], name: string, raw: string | undefined): URL | null {
  let url: URL;
  try {
    url = new URL(raw ?? '');
  } catch {
    problems.push(`${name} must be an absolute URL`);
    return null;
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    problems.push(`${name} must be https (http only for localhost)`);
    return null;
  }
  return url;
}

/** PEM `PUBLIC KEY` blocks for v1 (the shared module parses them); a bad block is a configuration problem. */
async function staticKeysVar(problems: string[], raw: string | undefined): Promise<CryptoKey[]> {
  try {
    return await importStaticKeys(raw ?? '');
  } catch (e) {
    // The message names the block by number, never its text.
    problems.push(`FIREBLOCKS_WEBHOOK_PUBLIC_KEYS ${(e as Error).message}`);
    return [];
  }
}

const jwksResolvers = new Map<string, JWKSResolver>();

/**
 * One JWKS cache per isolate and URL: module state survives between requests in the same isolate, so
 * keys are downloaded once, not once per request.
 */
function jwksFor(url: string, minRefreshMs: number): JWKSResolver {
  const id = `${minRefreshMs} ${url}`;
  let r = jwksResolvers.get(id);
  if (!r) jwksResolvers.set(id, (r = remoteJwks(url, { minRefreshMs })));
  return r;
}

export async function parseConfig(env: Env): Promise<ConfigResult> {
  const problems: string[] = [];
  const originUrl = urlVar(problems, 'ORIGIN_URL', env.ORIGIN_URL);
  if (originUrl && originUrl.pathname !== '/') problems.push('ORIGIN_URL must not have a path (the webhook path is appended)');
  const sharedSecret = env.EDGE_SHARED_SECRET ?? '';
  if (sharedSecret.length < MIN_SECRET_LENGTH) problems.push(`EDGE_SHARED_SECRET must be set, at least ${MIN_SECRET_LENGTH} characters`);

  const webhookPaths = new Set((env.WEBHOOK_PATHS || DEFAULT_WEBHOOK_PATHS).split(',').map((p) => p.trim()).filter(Boolean));
  for (const p of webhookPaths) if (!/^\/[\w\-./]*$/.test(p)) problems.push(`WEBHOOK_PATHS entry "${p}" must be a path starting with /`);

  const maxBodyBytes = intVar(problems, 'MAX_BODY_BYTES', env.MAX_BODY_BYTES, DEFAULT_MAX_BODY_BYTES, 1, 1024 * 1024);
  const originTimeoutMs = intVar(problems, 'ORIGIN_TIMEOUT_MS', env.ORIGIN_TIMEOUT_MS, 10000, 100, 60000);
  const minRefreshSeconds = intVar(problems, 'JWKS_MIN_REFRESH_SECONDS', env.JWKS_MIN_REFRESH_SECONDS, 60, 1, 3600);

  const allow = parseAllowlist(env.ALLOWED_SOURCE_IPS ?? '');
  if (!allow.ok) problems.push(`ALLOWED_SOURCE_IPS has entries that are not IPs or CIDRs: ${allow.invalid.join(', ')}`);

  const staticKeys = await staticKeysVar(problems, env.FIREBLOCKS_WEBHOOK_PUBLIC_KEYS);
  let jwks: JWKSResolver | null = null;
  if (env.FIREBLOCKS_JWKS_URL) {
    const url = urlVar(problems, 'FIREBLOCKS_JWKS_URL', env.FIREBLOCKS_JWKS_URL);
    if (url) jwks = jwksFor(url.toString(), minRefreshSeconds * 1000);
  }
  if (!staticKeys.length && !env.FIREBLOCKS_JWKS_URL) problems.push('set FIREBLOCKS_JWKS_URL, FIREBLOCKS_WEBHOOK_PUBLIC_KEYS or both');

  if (problems.length || !originUrl) return { ok: false, problems };
  return {
    ok: true,
    config: {
      originUrl,
      sharedSecret,
      webhookPaths,
      maxBodyBytes,
      allowlist: allow.ok ? allow.allowlist : null,
      staticKeys,
      jwks,
      originTimeoutMs,
    },
  };
}

const parsed = new WeakMap<Env, Promise<ConfigResult>>();

/** The env object is the same for every request an isolate serves, so parsing (and key import) runs once. */
export function loadConfig(env: Env): Promise<ConfigResult> {
  let p = parsed.get(env);
  if (!p) parsed.set(env, (p = parseConfig(env)));
  return p;
}
