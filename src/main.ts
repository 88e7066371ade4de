import 'reflect-metadata';
import { startApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { AnvilNotInstalledError, startDevChain, type DevChain } from './dev/dev-chain.js';
import { seedDemo, type DemoSeed } from './dev/seed-demo.js';
import { createLogger, flushLogger } from './logger.js';

function banner(lines: string[]): void {
  const width = Math.max(...lines.map((l) => l.length)) + 4;
  const bar = '='.repeat(width);
  const out = [bar, ...lines.map((l) => `  ${l}`), bar].join('\n');
  // The banner is for a person at a terminal; structured logs carry the same facts.
  process.stdout.write(`\n${out}\n\n`);
}

function configOrExit(load: () => Config): Config {
  try {
    return load();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`vestline: refusing to start.\n${e.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw e;
  }
}

const argv = process.argv.slice(2);
let config = configOrExit(() => loadConfig(process.env, argv));
const logger = createLogger(config.LOG_LEVEL);

// DEV_CHAIN=anvil: the chain must run before the app reads ETH_RPC_URL, which then points at it.
let devChain: DevChain | null = null;
let devChainSkipped: string | undefined;
// Whatever ends the process, anvil goes with it (a graceful stop has stopped it already).
process.on('exit', () => devChain?.killNow());
if (config.DEV_CHAIN === 'anvil') {
  try {
    devChain = await startDevChain({ dir: config.DEV_CHAIN_DIR, logger });
  } catch (e) {
    if (e instanceof AnvilNotInstalledError && config.defaulted.includes('DEV_CHAIN')) {
      // Only the development default asked for it: start without a chain rather than not at all.
      devChainSkipped = e.message;
      logger.warn(e.message);
    } else {
      logger.fatal({ err: e }, 'dev chain failed');
      flushLogger(logger);
      process.stderr.write(`vestline: start failed: ${(e as Error).message}\n`);
      process.exit(1);
    }
  }
  if (devChain) {
    // http://, not anvil's ws:// on the same port: the balance sync job reads over HTTP only. The
    // watcher then polls every DEPOSIT_POLL_INTERVAL_MS instead of waking on new heads.
    const rpcUrl = devChain.rpcUrl;
    config = configOrExit(() => loadConfig(process.env, argv, { devChainRpcUrl: rpcUrl }));
  }
}

const app = await startApp(config, logger).catch(async (e: unknown) => {
  logger.fatal({ err: e }, 'start failed');
  await devChain?.stop().catch(() => undefined);
  flushLogger(logger);
  process.stderr.write(`vestline: start failed: ${(e as Error).message}\n`);
  process.exit(1);
});

let demo: DemoSeed | null = null;
let demoFailed: string | undefined;
if (devChain) {
  try {
    await devChain.publish({ databaseUrl: app.db.embedded ? app.db.url : undefined });
    await devChain.catchUpWithDatabase(app.deps);
    demo = await seedDemo(app.deps, { paymentContract: devChain.usdtAddress });
  } catch (e) {
    demoFailed = (e as Error).message;
    logger.error({ err: e }, 'dev chain setup after start failed; the app runs, the demo may be incomplete');
  }
}

logger.info({ url: app.url, role: config.role, mode: config.mode, jobBackend: app.jobs.backendName }, 'vestline started');
const lines = [`Vestline (${config.mode}, role ${config.role})`, `Health:    ${app.url}/healthz`];
if (config.role !== 'worker') lines.push(`GraphQL:   ${app.graphqlUrl}`, `Jobs UI:   ${app.dashboardUrl}`);
if (app.bootstrap) {
  lines.push(`Admin:     ${app.bootstrap.email}`);
  if (app.bootstrap.generatedPassword) lines.push(`Password:  ${app.bootstrap.generatedPassword}   (shown once: store it now)`);
}
if (!config.isProduction) {
  lines.push('', 'DEVELOPMENT MODE: safe defaults, not for real money.');
  if (app.db.embedded) lines.push(`Embedded PostgreSQL under ${config.EMBEDDED_PG_DIR} (set DATABASE_URL to use your own).`);
  if (config.defaultedSecrets.length) lines.push(`Development defaults for secrets: ${config.defaultedSecrets.join(', ')} (see docs/configuration.md).`);
  lines.push(...devChainLines());
}
banner(lines);

/** The dev chain's part of the banner (development only, so the demo logins may show here, once). */
function devChainLines(): string[] {
  if (devChainSkipped) return ['', `Dev chain: not started. ${devChainSkipped}`];
  if (!devChain) return [];
  const out = [
    '',
    `Dev chain: anvil ${devChain.rpcUrl} (chain 31337), state kept in ${devChain.statePath}`,
    `Test USDT: ${devChain.usdtAddress} (6 decimals)${devChain.usdtDeployed ? ', deployed now' : ''}`,
  ];
  if (demoFailed) out.push(`Demo site: setup failed (${demoFailed}); see the log.`);
  else if (demo?.logins) {
    out.push(
      `Demo site: "${demo.slug}" created (id ${demo.siteId})`,
      `  site admin: ${demo.logins.admin.email}  password ${demo.logins.admin.password}`,
      `  customer:   ${demo.logins.customer.email}  password ${demo.logins.customer.password}`,
      '  (shown once: store them now)',
    );
  } else if (demo) out.push(`Demo site: "${demo.slug}" (id ${demo.siteId})${demo.paymentAssetReplaced ? ', PAYMENT asset switched to this USDT' : ''}`);
  out.push('Pay an order: npm run dev:pay -- <orderReference> [amount]   (README, "Try it locally")');
  return out;
}

let shuttingDown = false;
async function shutdown(signal: string) {
  if (shuttingDown) return;
  shuttingDown = true;
  logger.info({ signal }, 'shutting down');
  const force = setTimeout(() => {
    logger.error('graceful shutdown timed out');
    flushLogger(logger);
    process.exit(1);
  }, config.SHUTDOWN_DRAIN_DELAY_MS + config.SHUTDOWN_TIMEOUT_MS + 5000);
  force.unref();
  try {
    await app.stop();
    // After the app: its deposit watcher reads the chain until it stops.
    await devChain?.stop();
    logger.info('stopped');
    flushLogger(logger);
    process.exit(0);
  } catch (e) {
    logger.error({ err: e }, 'shutdown failed');
    flushLogger(logger);
    process.exit(1);
  }
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
