import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseMasterKeys } from './services/wallet-keys/master-keys.js';

/**
 * The one place that reads the environment. Every variable is declared once below with its schema,
 * meaning and default; `scripts/gen-config-docs.ts` renders the same table into docs/configuration.md.
 */
export type Mode = 'development' | 'production' | 'test';
export type ProcessRole = 'api' | 'worker' | 'all';
/** Express `trust proxy`: nobody, N hops, or a list of subnets / names (proxy-addr syntax). */
export type TrustProxy = false | number | string[];

/** What a default may look at besides the mode: the raw environment and the process role. */
interface DefaultContext {
  env: Readonly<Record<string, string | undefined>>;
  role: ProcessRole;
}

interface VarSpec<T> {
  schema: z.ZodType<T, unknown>;
  doc: string;
  /** Default per mode, as raw input the schema then parses; `undefined` means "unset". */
  default?: (mode: Mode, ctx?: DefaultContext) => string | number | boolean | undefined;
  /** A secret: never defaulted in production, never printed. */
  secret?: boolean;
  /** Must be set in production even though it is not a secret. */
  requiredInProduction?: boolean;
  /** Human text for the docs when the default is computed. */
  defaultDoc?: string;
}

const spec = <T>(s: VarSpec<T>): VarSpec<T> => s;
/** Public on purpose (it is in the source): development data only. Production refuses it. */
const DEV_MASTER_KEY = createHash('sha256').update('vestline development wallet key - never for real funds').digest('base64');
const bool = z.union([
  z.boolean(),
  z.enum(['1', '0', 'true', 'false', 'yes', 'no', 'on', 'off']).transform((v) => ['1', 'true', 'yes', 'on'].includes(v)),
]);
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const postgresUrl = z
  .string()
  .refine((u) => /^postgres(ql)?:\/\/.+/.test(u), 'must be a postgres:// or postgresql:// URL');

export const configSpec = {
  NODE_ENV: spec({
    schema: z.enum(['development', 'production', 'test']),
    doc: '`production` requires every secret and turns off introspection, the landing page and dev defaults.',
    default: () => 'development',
  }),
  HOST: spec({
    schema: z.string().min(1),
    doc: 'Interface the HTTP server binds to.',
    default: (m) => (m === 'production' ? '0.0.0.0' : '127.0.0.1'),
    defaultDoc: '`127.0.0.1` (development), `0.0.0.0` (production)',
  }),
  PORT: spec({ schema: int(0, 65535), doc: 'HTTP port for GraphQL, graphql-ws, health, metrics and the job dashboard.', default: () => 4000 }),
  PUBLIC_URL: spec({
    schema: z.url().optional(),
    doc: 'Base URL printed at start and used for links; defaults to http://HOST:PORT.',
  }),
  TRUST_PROXY: spec({
    schema: z
      .string()
      .transform((v, ctx): TrustProxy => {
        const t = v.trim();
        if (['false', '0', 'no', 'off', ''].includes(t)) return false;
        if (/^\d{1,2}$/.test(t)) return Number(t);
        const list = t.split(',').map((x) => x.trim()).filter(Boolean);
        const entry = /^(loopback|linklocal|uniquelocal|[0-9a-fA-F.:]+(\/\d{1,3})?)$/;
        if (!list.every((x) => entry.test(x))) {
          ctx.addIssue({ code: 'custom', message: 'must be false, a hop count, or a comma list of loopback/linklocal/uniquelocal/IP/CIDR' });
          return z.NEVER;
        }
        return list;
      }),
    doc: 'Which proxies may set X-Forwarded-For (the client IP feeds the login limit and the audit log): `false`, a hop count such as `1`, or subnets such as `loopback,10.0.0.0/8`. Never trust more than your own proxies.',
    default: () => 'false',
  }),
  METRICS_TOKEN: spec({
    schema: z.string().min(16, 'must be at least 16 characters').optional(),
    doc: 'GET /metrics requires `Authorization: Bearer <METRICS_TOKEN>`. Required in production (the process refuses to start without it: metric labels carry site ids); in development, unset leaves /metrics open.',
    requiredInProduction: true,
    secret: true,
  }),
  EDGE_SHARED_SECRET: spec({
    schema: z.string().min(32, 'must be at least 32 characters').optional(),
    doc: 'HMAC key shared with the webhook edge worker (docs/edge.md). When set, every request under /webhooks/ must carry a valid `x-edge-timestamp` and `x-edge-signature` (5-minute tolerance) and the client IP comes from `x-edge-client-ip`; unset, /webhooks/ takes direct requests (the Fireblocks signature check still applies).',
    secret: true,
  }),
  BODY_LIMIT_BYTES: spec({ schema: int(1024, 50 * 1024 * 1024), doc: 'Largest accepted request body; larger bodies get 413.', default: () => 1024 * 1024 }),
  LOG_LEVEL: spec({
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    doc: 'pino log level.',
    default: (m) => (m === 'test' ? 'silent' : 'info'),
    defaultDoc: '`info` (`silent` under NODE_ENV=test)',
  }),
  DATABASE_URL: spec({
    schema: postgresUrl.optional(),
    doc: 'PostgreSQL connection URL. Unset outside production: an embedded PostgreSQL is started under EMBEDDED_PG_DIR.',
    requiredInProduction: true,
    secret: true,
  }),
  EMBEDDED_PG_DIR: spec({ schema: z.string().min(1), doc: 'Data directory of the embedded PostgreSQL (development only).', default: () => '.data/pg' }),
  DB_POOL_MAX: spec({ schema: int(1, 200), doc: 'Connections in the ORM pool per process.', default: () => 10 }),
  MIGRATE_ON_START: spec({
    schema: bool,
    doc: 'Apply pending migrations at start.',
    default: (m) => m !== 'production',
    defaultDoc: '`true` (development), `false` (production)',
  }),
  JWT_SECRET: spec({
    schema: z.string().min(32, 'must be at least 32 characters'),
    doc: 'HMAC key for session tokens (HS256). Development: a random key per process, so tokens die on restart.',
    secret: true,
    default: () => randomBytes(32).toString('base64url'),
    defaultDoc: 'random per process (development)',
  }),
  JWT_TTL_SECONDS: spec({ schema: int(60, 7 * 24 * 3600), doc: 'Lifetime of a session token.', default: () => 8 * 3600 }),
  PASSWORD_SCRYPT_N: spec({
    schema: int(1024, 1 << 20).refine((n) => (n & (n - 1)) === 0, 'must be a power of two'),
    doc: 'scrypt cost for new password hashes (r=8, p=1). Stored with each hash, so it can be raised later.',
    default: () => 1 << 17,
  }),
  LOGIN_MAX_FAILURES: spec({ schema: int(1, 1000), doc: 'Failed logins per client IP, and per email from one IP, within LOGIN_WINDOW_SECONDS before that IP gets RATE_LIMITED (failures from one address never lock an account for everyone).', default: () => 10 }),
  LOGIN_WINDOW_SECONDS: spec({ schema: int(1, 24 * 3600), doc: 'Window in which failed logins are counted.', default: () => 15 * 60 }),
  BOOTSTRAP_ADMIN_EMAIL: spec({
    schema: z.email().optional(),
    doc: 'SUPER_ADMIN created on first start. Development default admin@vestline.local; production only when both are set.',
    default: (m) => (m === 'production' ? undefined : 'admin@vestline.local'),
    defaultDoc: '`admin@vestline.local` (development)',
  }),
  BOOTSTRAP_ADMIN_PASSWORD: spec({
    schema: z.string().min(12, 'must be at least 12 characters').optional(),
    doc: 'Password of the bootstrap SUPER_ADMIN. Development: generated and printed once when unset.',
    secret: true,
  }),
  GRAPHQL_MAX_DEPTH: spec({ schema: int(1, 50), doc: 'Maximum query depth.', default: () => 10 }),
  GRAPHQL_MAX_ALIASES: spec({ schema: int(1, 100), doc: 'Maximum aliases per operation.', default: () => 15 }),
  GRAPHQL_MAX_TOKENS: spec({ schema: int(100, 100000), doc: 'Maximum tokens per document.', default: () => 2000 }),
  GRAPHQL_MAX_COST: spec({ schema: int(100, 1000000), doc: 'Maximum query cost (graphql-armor cost limit).', default: () => 5000 }),
  GRAPHQL_MAX_DIRECTIVES: spec({ schema: int(1, 200), doc: 'Maximum directives per operation.', default: () => 50 }),
  WALLET_MASTER_KEYS: spec({
    schema: z.string().transform((v, ctx) => {
      const r = parseMasterKeys(v);
      if (!r.ok) {
        ctx.addIssue({ code: 'custom', message: r.problem });
        return z.NEVER;
      }
      return r.keys;
    }),
    doc: 'Deposit-wallet key-encryption keys, `<version>:<base64 of 32 bytes>` separated by commas, newest first (e.g. `2:…,1:…`). New keys are sealed with the newest; `npm run keys:rotate` re-encrypts older ones. Development: a fixed, public key.',
    secret: true,
    default: () => `1:${DEV_MASTER_KEY}`,
    defaultDoc: 'a fixed public key (development)',
  }),
  WALLET_POOL_MIN_AVAILABLE: spec({ schema: int(0, 10000), doc: 'Available deposit wallets the replenish job keeps per site and network (for networks with an active PAYMENT asset).', default: () => 10 }),
  ETH_RPC_URL: spec({
    schema: z.url().optional(),
    doc: 'Ethereum JSON-RPC endpoint (http(s):// or ws(s)://) for deposit detection and ERC20 balance reads. Unset: no Ethereum deposits are detected and Ethereum wallets are reported as not synced.',
    secret: true,
  }),
  DEV_CHAIN: spec({
    schema: z.enum(['anvil', 'off']),
    doc: '`anvil`: `npm start` runs a local Ethereum chain (anvil) inside the process, deploys a test USDT, points ETH_RPC_URL at it and seeds a `demo` site on first start; `npm run dev:pay` pays orders on it (README, "Try it locally"). Refused in production, with ETH_RPC_URL set, or with a `--role` other than `all`. `npm install` brings anvil on linux-x64 (optional dependency); elsewhere install Foundry. When only the default asked for it and anvil is missing, the process starts without it and says so.',
    default: (m, ctx) => (m === 'development' && !ctx?.env.ETH_RPC_URL && (ctx?.role ?? 'all') === 'all' ? 'anvil' : 'off'),
    defaultDoc: '`anvil` in development when ETH_RPC_URL is unset and the role is `all`; `off` otherwise',
  }),
  DEV_CHAIN_DIR: spec({
    schema: z.string().min(1),
    doc: 'Where the dev chain keeps its state (anvil `--state`, kept across restarts) and the running chain\'s addresses for `npm run dev:pay`. Delete it together with EMBEDDED_PG_DIR to start over.',
    default: () => '.data/dev-chain',
  }),
  TRON_API_URL: spec({ schema: z.url(), doc: 'TronGrid-compatible HTTP API for TRC20 deposit detection and balance reads.', default: () => 'https://api.trongrid.io' }),
  TRON_API_KEY: spec({ schema: z.string().min(1).optional(), doc: 'TronGrid API key, sent as TRON-PRO-API-KEY.', secret: true }),
  DEPOSIT_POLL_INTERVAL_MS: spec({
    schema: int(200, 600000),
    doc: 'How often the deposit watcher of each network looks for new transfers (worker role; one watcher per network across all workers). With a ws:// or wss:// ETH_RPC_URL, new Ethereum heads also wake it at once.',
    default: () => 3000,
  }),
  ETH_LOG_CHUNK_BLOCKS: spec({ schema: int(1, 100000), doc: 'Blocks per eth_getLogs call when the Ethereum watcher catches up.', default: () => 2000 }),
  ETH_FIRST_SCAN_BLOCKS: spec({ schema: int(1, 1000000), doc: 'How many blocks back the Ethereum watcher starts on its very first run (no stored cursor yet).', default: () => 1000 }),
  CHAIN_READ_CONCURRENCY: spec({ schema: int(1, 100), doc: 'Parallel on-chain reads per sync run.', default: () => 10 }),
  CHAIN_READ_TIMEOUT_MS: spec({ schema: int(100, 120000), doc: 'Timeout of one on-chain read.', default: () => 10000 }),
  CHAIN_READ_RETRIES: spec({ schema: int(0, 10), doc: 'Retries of a failed read, with exponential backoff from 200 ms.', default: () => 3 }),
  PAYOUT_MODE: spec({
    schema: z.enum(['MOCK', 'LIVE']),
    doc: 'Custody for payouts: MOCK (an in-process Fireblocks simulator that sends signed webhooks to this server) or LIVE (Fireblocks through @fireblocks/ts-sdk). LIVE also needs ALLOW_PROD_TX=1 and the FIREBLOCKS_* credentials, else the process refuses to start.',
    default: () => 'MOCK',
  }),
  ALLOW_PROD_TX: spec({ schema: bool, doc: 'The second switch for LIVE payouts: real transactions are sent only with PAYOUT_MODE=LIVE and ALLOW_PROD_TX=1.', default: () => false }),
  FIREBLOCKS_API_KEY: spec({ schema: z.string().min(1).optional(), doc: 'Fireblocks API key (LIVE payouts).', secret: true }),
  FIREBLOCKS_SECRET_KEY: spec({
    schema: z
      .string()
      .transform((v) => v.replace(/\\n/g, '\n'))
      .refine((v) => /-----BEGIN (RSA )?PRIVATE KEY-----/.test(v), 'must be a PEM private key')
      .optional(),
    doc: "Fireblocks API secret key, PEM (`\\n` escapes accepted), which signs each request's JWT (LIVE payouts).",
    secret: true,
  }),
  FIREBLOCKS_VAULT_ACCOUNT_ID: spec({ schema: z.string().regex(/^\d+$/, 'must be a vault account id').optional(), doc: 'Vault account payouts are sent from (LIVE payouts).' }),
  FIREBLOCKS_BASE_URL: spec({ schema: z.url(), doc: 'Fireblocks API base URL.', default: () => 'https://api.fireblocks.io/v1' }),
  FIREBLOCKS_JWKS_URL: spec({
    schema: z.url().optional(),
    doc: 'JWKS of the keys that sign v2 `Fireblocks-Webhook-Signature` webhooks, e.g. https://keys.fireblocks.io/.well-known/jwks.json (cached; an unknown kid refreshes it at most once a minute).',
  }),
  FIREBLOCKS_JWKS_FILE: spec({ schema: z.string().min(1).optional(), doc: 'The same JWKS from a local file instead of FIREBLOCKS_JWKS_URL.' }),
  FIREBLOCKS_WEBHOOK_PUBLIC_KEYS: spec({
    schema: z.string().optional(),
    doc: 'PEM public key(s) for v1 `Fireblocks-Signature` webhooks, two during a rotation (`\\n` escapes accepted).',
  }),
  WEBHOOK_IP_ALLOWLIST: spec({
    schema: z.string().optional(),
    doc: 'Comma separated IPs / CIDRs allowed to call /webhooks/ (the client IP: x-edge-client-ip behind the edge worker, else the TRUST_PROXY-resolved address). Unset: any source (signatures still apply).',
  }),
  PAYOUT_RECONCILE_AFTER_MINUTES: spec({ schema: int(1, 1440), doc: 'A release PROCESSING longer than this is looked up at custody by the key of its current attempt (its externalTxId, or vl-r<n>-… after a retry) and settled (never resubmitted without that lookup).', default: () => 10 }),
  MOCK_CUSTODY_STEP_MS: spec({ schema: int(0, 60000), doc: 'MOCK custody: time between its statuses SUBMITTED -> CONFIRMING -> COMPLETED (three steps).', default: () => 1000 }),
  WEBHOOK_ALLOW_PRIVATE_TARGETS: spec({
    schema: bool,
    doc: 'Let merchant webhook endpoints point at loopback and private addresses (development and tests). Link-local and cloud metadata addresses are refused always.',
    default: () => false,
  }),
  WEBHOOK_TIMEOUT_MS: spec({ schema: int(100, 60000), doc: 'Timeout of one merchant webhook delivery attempt.', default: () => 10000 }),
  SMTP_URL: spec({ schema: z.string().regex(/^smtps?:\/\//, 'must be an smtp:// or smtps:// URL').optional(), doc: 'SMTP server for customer e-mails (order paid, expired, underpaid; release paid out). Unset: no e-mails.', secret: true }),
  SMTP_TIMEOUT_MS: spec({ schema: int(100, 120000), doc: 'How long one customer e-mail waits for the SMTP server (connect, greeting, each reply).', default: () => 10000 }),
  SMTP_FROM: spec({ schema: z.string().min(3), doc: 'From address of customer e-mails.', default: () => 'Vestline <no-reply@vestline.local>' }),
  AGENDA_MONGODB_URL: spec({
    schema: z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// URL').optional(),
    doc: 'Run Agenda on MongoDB instead of the PostgreSQL database.',
    secret: true,
  }),
  AGENDA_PROCESS_EVERY_MS: spec({ schema: int(100, 600000), doc: 'How often a worker polls for due jobs (PostgreSQL also wakes it by NOTIFY).', default: () => 5000 }),
  SHUTDOWN_DRAIN_DELAY_MS: spec({
    schema: int(0, 120000),
    doc: 'On SIGTERM, how long /readyz answers 503 while requests are still served, so load balancers stop sending before the listener closes.',
    default: (m) => (m === 'production' ? 5000 : 0),
    defaultDoc: '`5000` (production), `0` otherwise',
  }),
  SHUTDOWN_TIMEOUT_MS: spec({ schema: int(100, 600000), doc: 'Budget for a graceful shutdown after the drain delay: open HTTP requests get a third of it, running jobs the rest; past it (+5 s) the process exits anyway.', default: () => 30000 }),
} as const;

type Spec = typeof configSpec;
export type EnvValues = { [K in keyof Spec]: Spec[K] extends VarSpec<infer T> ? T : never };

export interface Config extends Readonly<EnvValues> {
  readonly mode: Mode;
  readonly isProduction: boolean;
  readonly role: ProcessRole;
  /** Secrets that were unset and took their development default (never in production). */
  readonly defaultedSecrets: readonly string[];
  /** Every variable that was unset and took its default (secrets included). */
  readonly defaulted: readonly string[];
}

export interface LoadOptions {
  /**
   * The URL of the dev chain this process just started (DEV_CHAIN=anvil): it becomes ETH_RPC_URL.
   * Only with DEV_CHAIN=anvil; the environment's own ETH_RPC_URL is refused with it.
   */
  devChainRpcUrl?: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export function parseRole(argv: readonly string[]): ProcessRole {
  const arg = argv.find((a) => a.startsWith('--role='));
  const role = arg?.slice('--role='.length) ?? 'all';
  if (role !== 'api' && role !== 'worker' && role !== 'all') {
    throw new ConfigError([`--role must be api, worker or all (got "${role}")`]);
  }
  return role;
}

/** Parses and validates the environment. Throws ConfigError naming every bad or missing variable. */
export function loadConfig(env: Record<string, string | undefined>, argv: readonly string[] = [], opts: LoadOptions = {}): Config {
  const modeResult = configSpec.NODE_ENV.schema.safeParse(env.NODE_ENV ?? 'development');
  if (!modeResult.success) throw new ConfigError([`NODE_ENV must be development, production or test (got "${env.NODE_ENV}")`]);
  const mode: Mode = modeResult.data as Mode;
  const isProduction = mode === 'production';
  const problems: string[] = [];
  const defaultedSecrets: string[] = [];
  const defaulted: string[] = [];
  const values: Record<string, unknown> = {};

  let role: ProcessRole = 'all';
  try {
    role = parseRole(argv);
  } catch (e) {
    problems.push(...(e as ConfigError).problems);
  }

  for (const [name, s] of Object.entries(configSpec) as [string, VarSpec<unknown>][]) {
    const raw = env[name] === '' ? undefined : env[name];
    let value: unknown = raw;
    if (raw === undefined) {
      if (isProduction && (s.requiredInProduction || (s.secret && s.default))) {
        problems.push(`${name} is required in production (${s.doc})`);
        continue;
      }
      value = s.default?.(mode, { env, role });
      if (value !== undefined) defaulted.push(name);
      if (value !== undefined && s.secret) defaultedSecrets.push(name);
    }
    const parsed = s.schema.safeParse(value);
    if (!parsed.success) {
      // Never echo a secret's value back; the issue text is enough.
      problems.push(`${name} ${parsed.error.issues.map((i) => i.message).join('; ')}`);
      continue;
    }
    values[name] = parsed.data;
  }

  if (values.DEV_CHAIN === 'anvil') {
    if (isProduction) problems.push('DEV_CHAIN=anvil is a development chain with public keys: it cannot run in production (set DEV_CHAIN=off)');
    if (values.ETH_RPC_URL !== undefined) problems.push('DEV_CHAIN=anvil provides ETH_RPC_URL itself: unset ETH_RPC_URL, or set DEV_CHAIN=off to use your endpoint');
    if (role !== 'all') problems.push(`DEV_CHAIN=anvil runs the chain inside one process and needs --role=all (got ${role}); set DEV_CHAIN=off and ETH_RPC_URL for split roles`);
    if (opts.devChainRpcUrl !== undefined) {
      const url = configSpec.ETH_RPC_URL.schema.safeParse(opts.devChainRpcUrl);
      if (url.success) values.ETH_RPC_URL = url.data;
      else problems.push('the dev chain URL is not a URL');
    }
  } else if (opts.devChainRpcUrl !== undefined) {
    problems.push('a dev chain URL was given but DEV_CHAIN is not anvil');
  }
  if (values.PAYOUT_MODE === 'LIVE') {
    const missing = [
      ...(values.ALLOW_PROD_TX === true ? [] : ['ALLOW_PROD_TX=1']),
      ...(['FIREBLOCKS_API_KEY', 'FIREBLOCKS_SECRET_KEY', 'FIREBLOCKS_VAULT_ACCOUNT_ID'] as const).filter((k) => values[k] === undefined),
    ];
    if (missing.length) problems.push(`PAYOUT_MODE=LIVE sends real transactions and needs ${missing.join(', ')}`);
  }
  if (isProduction && env.WALLET_MASTER_KEYS?.includes(DEV_MASTER_KEY)) {
    problems.push('WALLET_MASTER_KEYS contains the public development key; generate your own for production');
  }
  if (isProduction && (values.BOOTSTRAP_ADMIN_EMAIL === undefined) !== (values.BOOTSTRAP_ADMIN_PASSWORD === undefined)) {
    problems.push('BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD must be set together in production');
  }
  if (problems.length) throw new ConfigError(problems);
  return Object.freeze({ ...(values as EnvValues), mode, isProduction, role, defaultedSecrets, defaulted });
}

export function publicUrl(config: Config, port: number = config.PORT): string {
  if (config.PUBLIC_URL) return config.PUBLIC_URL.replace(/\/$/, '');
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;
  return `http://${host}:${port}`;
}
