import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { publicUrl, type Config } from './config.js';
import type { Database } from './db/database.js';
import { buildDeps, type Deps } from './deps.js';
import { createHttpApp } from './http/http-app.js';
import { DASHBOARD_PATH } from './http/job-dashboard.js';
import { createJobRunner, type JobRunner } from './jobs/agenda.js';
import { startDepositWatchers } from './jobs/deposit-watcher.js';
import { startWebhookWakeup } from './jobs/webhook-wakeup.js';
import { jobRegistry } from './jobs/registry.js';
import type { Logger } from './logger.js';
import { bootstrapAdmin, type BootstrapResult } from './services/users/bootstrap-admin.js';

export interface RunningApp {
  config: Config;
  deps: Deps;
  url: string;
  graphqlUrl: string;
  dashboardUrl: string;
  port: number;
  db: Database;
  jobs: JobRunner;
  httpServer: Server;
  bootstrap: BootstrapResult | null;
  stop(): Promise<void>;
}

function bootstrapFromConfig(deps: Deps): Promise<BootstrapResult | null> {
  const { config } = deps;
  return bootstrapAdmin(deps.orm.em.fork(), {
    email: config.BOOTSTRAP_ADMIN_EMAIL,
    password: config.BOOTSTRAP_ADMIN_PASSWORD,
    allowGenerated: !config.isProduction,
    scryptN: config.PASSWORD_SCRYPT_N,
  });
}

/** Where this process can reach itself: loopback when it listens on every interface. */
function loopbackOrHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function listen(server: Server, config: Config): Promise<number> {
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(config.PORT, config.HOST, () => ok((server.address() as AddressInfo).port));
  });
}

/**
 * Starts one Vestline process: dependencies (database, migrations, keys), job runner, and the HTTP
 * server. Role `api` serves GraphQL and the dashboard; `worker` runs jobs; `all` does both. Every role
 * serves /healthz, /readyz and /metrics.
 */
export async function startApp(config: Config, logger: Logger): Promise<RunningApp> {
  const built = await buildDeps(config, logger);
  const { deps, db } = built;
  const cleanups: (() => Promise<void>)[] = [() => built.close()];
  const serveApi = config.role !== 'worker';
  try {
    const bootstrap = serveApi ? await bootstrapFromConfig(deps) : null;
    const jobs = await createJobRunner({
      databaseUrl: db.url,
      mongoUrl: config.AGENDA_MONGODB_URL,
      processEveryMs: config.AGENDA_PROCESS_EVERY_MS,
      jobs: jobRegistry,
      deps,
      logger,
    });
    let shutdownDeadline = Infinity;
    // Jobs get whatever is left of the shutdown budget once HTTP is closed (at least one second).
    cleanups.unshift(() => jobs.close(Math.max(1000, Math.min(config.SHUTDOWN_TIMEOUT_MS, shutdownDeadline - Date.now()))));

    let stopping = false;
    const http = await createHttpApp({
      deps: { ...deps, jobs },
      agenda: jobs.agenda,
      serveApi,
      isStopping: () => stopping,
      checks: { database: () => db.orm.em.getConnection().execute('select 1'), jobs: () => jobs.ping() },
    });
    const port = await listen(http.httpServer, config);
    const url = publicUrl(config, port);
    // The MOCK custody delivers its webhooks to this server's own route, as Fireblocks would.
    if (serveApi) deps.payouts.mock?.deliverTo(`http://${loopbackOrHost(config.HOST)}:${port}/webhooks/fireblocks`);
    if (config.role !== 'api') {
      await jobs.startProcessing();
      const watchers = startDepositWatchers(deps, db.url);
      const webhookWakeup = startWebhookWakeup(deps);
      // Stopped after the job runner has drained (its running jobs get the shutdown budget first) and
      // before the pool closes, so a pass in flight finishes its transaction.
      cleanups.splice(cleanups.length - 1, 0, () => watchers.stop(), () => webhookWakeup.stop());
    }

    let stopped: Promise<void> | undefined;
    return {
      config,
      deps,
      url,
      graphqlUrl: `${url}/graphql`,
      dashboardUrl: `${url}${DASHBOARD_PATH}/`,
      port,
      db,
      jobs,
      httpServer: http.httpServer,
      bootstrap,
      stop() {
        stopped ??= (async () => {
          // Not ready first, then keep serving for the drain delay while load balancers take us out.
          stopping = true;
          if (config.SHUTDOWN_DRAIN_DELAY_MS) await new Promise((r) => setTimeout(r, config.SHUTDOWN_DRAIN_DELAY_MS));
          shutdownDeadline = Date.now() + config.SHUTDOWN_TIMEOUT_MS;
          // Stop taking requests first (drains HTTP and closes graphql-ws sockets), then jobs, then the pool.
          await http.stop();
          logger.info('HTTP server closed');
          for (const c of cleanups) await c();
        })();
        return stopped;
      },
    };
  } catch (e) {
    for (const c of cleanups) await c().catch(() => undefined);
    throw e;
  }
}
