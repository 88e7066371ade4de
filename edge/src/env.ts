/**
 * The worker's bindings: vars and secrets from wrangler.toml / `wrangler secret put`, plus the optional
 * platform bindings. Vars arrive as strings (or as TOML numbers), so config.ts parses every one of them.
 */
export interface Env {
  /** Base URL of the Vestline API, e.g. https://api.example.com (no trailing path). */
  ORIGIN_URL?: string;
  /** HMAC-SHA256 key shared with the API (its EDGE_SHARED_SECRET). A secret. */
  EDGE_SHARED_SECRET?: string;
  /** One or more PEM `PUBLIC KEY` blocks for v1 `Fireblocks-Signature` (two during a rotation). */
  FIREBLOCKS_WEBHOOK_PUBLIC_KEYS?: string;
  /** JWKS for v2 `Fireblocks-Webhook-Signature`, e.g. https://keys.fireblocks.io/.well-known/jwks.json */
  FIREBLOCKS_JWKS_URL?: string;
  /** Comma or space separated IPs / CIDRs; unset or empty: any source. */
  ALLOWED_SOURCE_IPS?: string;
  /** Largest accepted body in bytes (default 65536). */
  MAX_BODY_BYTES?: string | number;
  /** Comma separated webhook paths this worker accepts (default /webhooks/fireblocks). */
  WEBHOOK_PATHS?: string;
  /** How long to wait for the origin before answering 503 (default 10000). */
  ORIGIN_TIMEOUT_MS?: string | number;
  /** Least time between two JWKS downloads (default 60). */
  JWKS_MIN_REFRESH_SECONDS?: string | number;
  /** When bound, the replay store is this KV namespace instead of the Cache API. */
  REPLAY_KV?: KVNamespace;
  /** When bound, Cloudflare's rate limiting binding, keyed by client IP. */
  RATE_LIMITER?: RateLimit;
}
