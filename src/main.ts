import 'reflect-metadata';
import { startApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger, flushLogger } from './logger.js';

function banner(lines: string[]): void {
  const width = Math.max(...lines.map((l) => l.length)) + 4;
  const bar = '='.repeat(width);
  const out = [bar, ...lines.map((l) => `  ${l}`), bar].join('\n');
  // The banner is for a person at a terminal; structured logs carry the same facts.
  process.stdout.write(`\n${out}\n\n`);
}

let config: Config;
try {
  config = loadConfig(process.env, process.argv.slice(2));
} catch (e) {
  if (e instanceof ConfigError) {
    process.stderr.write(`vestline: refusing to start.\n${e.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  throw e;
}

const logger = createLogger(config.LOG_LEVEL);
const app = await startApp(config, logger).catch((e: unknown) => {
  logger.fatal({ err: e }, 'start failed');
  flushLogger(logger);
  process.stderr.write(`vestline: start failed: ${(e as Error).message}\n`);
  process.exit(1);
});

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
}
banner(lines);

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
