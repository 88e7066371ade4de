import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { publicUrl, type Config } from './config.js';
import { openDatabase, type Database } from './db/database.js';
import { migrate } from './db/orm.js';
import { createJobRunner, type JobRunner } from './jobs/agenda.js';
import { jobRegistry } from './jobs/registry.js';
import type { Logger } from './logger.js';
import { buildAppSchema } from './schema/build-schema.js';
import { startGraphQLServer, type GraphQLServer } from './http/graphql-server.js';
import { edgeSignature } from './http/edge-signature.js';
import { jsonErrorHandler } from './http/http-errors.js';
import { DASHBOARD_PATH, jobDashboard, type JobDashboard } from './http/job-dashboard.js';
import { clientAddress, compileTrust } from './http/client-ip.js';
import { healthRoutes } from './http/health-routes.js';
import { createMetrics } from './http/metrics.js';
import { requestLog } from './http/request-log.js';
import { Network } from './entities/enums.js';
import { erc20Reader, trc20Reader, type BalanceReaders } from './services/chain/balance-readers.js';
import { keyring } from './services/wallet-keys/master-keys.js';
import { verifyMasterKeys } from './services/wallet-keys/verify-master-keys.js';
import { bootstrapAdmin, type BootstrapResult } from './services/users/bootstrap-admin.js';

export interface RunningApp {
  config: Config;
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

/** On-chain readers from the configuration; a network without an endpoint has no reader (reported by sync). */
function balanceReaders(config: Config): { readers: BalanceReaders; destroy(): void } {
  const eth = config.ETH_RPC_URL ? erc20Reader(config.ETH_RPC_URL, config.CHAIN_READ_TIMEOUT_MS) : undefined;
  return {
    readers: { ...(eth ? { [Network.ETHEREUM]: eth } : {}), [Network.TRON]: trc20Reader(config.TRON_API_URL, config.TRON_API_KEY) },
    destroy: () => eth?.destroy(),
  };
}

/**
 * Starts one Vestline process: database (embedded when no DATABASE_URL), migrations, job runner, and
 * the HTTP server. Role `api` serves GraphQL and the dashboard; `worker` runs jobs; `all` does both.
 * Every role serves /healthz, /readyz and /metrics.
 */
export async function startApp(config: Config, logger: Logger): Promise<RunningApp> {
  const db = await openDatabase(config, logger);
  const cleanups: (() => Promise<void>)[] = [() => db.close()];
  const serveApi = config.role !== 'worker';
  try {
    if (config.MIGRATE_ON_START) {
      const applied = await migrate(db.orm);
      if (applied.length) logger.info({ applied }, 'applied migrations');
    } else {
      const pending = await db.orm.migrator.getPending();
      if (pending.length) throw new Error(`the database has ${pending.length} pending migration(s): run npm run migrate (or set MIGRATE_ON_START=1 on one instance)`);
    }
    // A wrong WALLET_MASTER_KEYS must stop the process now, not at the first payout.
    const ring = keyring(config.WALLET_MASTER_KEYS);
    await verifyMasterKeys(db.orm.em.fork(), ring);

    let bootstrap: BootstrapResult | null = null;
    if (serveApi) {
      bootstrap = await bootstrapAdmin(db.orm.em.fork(), {
        email: config.BOOTSTRAP_ADMIN_EMAIL,
        password: config.BOOTSTRAP_ADMIN_PASSWORD,
        allowGenerated: !config.isProduction,
        scryptN: config.PASSWORD_SCRYPT_N,
      });
    }

    const chain = balanceReaders(config);
    cleanups.unshift(async () => chain.destroy());
    const metrics = createMetrics();
    const jobs = await createJobRunner({
      databaseUrl: db.url,
      mongoUrl: config.AGENDA_MONGODB_URL,
      processEveryMs: config.AGENDA_PROCESS_EVERY_MS,
      jobs: jobRegistry,
      deps: { orm: db.orm, config, logger, keyring: ring, chain: chain.readers, metrics },
      logger,
    });
    let shutdownDeadline = Infinity;
    // Jobs get whatever is left of the shutdown budget once HTTP is closed (at least one second).
    cleanups.unshift(() => jobs.close(Math.max(1000, Math.min(config.SHUTDOWN_TIMEOUT_MS, shutdownDeadline - Date.now()))));

    const app = express();
    app.disable('x-powered-by');
    // GraphQL answers are never cached by ETag; hashing every body costs CPU for nothing.
    app.set('etag', false);
    const trust = compileTrust(config.TRUST_PROXY);
    app.set('trust proxy', trust);
    const clientIp = (req: IncomingMessage) => clientAddress(req, trust);
    app.use(requestLog(logger));
    app.use(metrics.httpMiddleware);

    let stopping = false;
    app.use(healthRoutes({ config, metrics, isStopping: () => stopping, checks: { database: () => db.orm.em.getConnection().execute('select 1'), jobs: () => jobs.ping() } }));

    const httpServer = createServer(app);
    let graphql: GraphQLServer | undefined;
    let dashboard: JobDashboard | undefined;
    if (serveApi) {
      const schema = await buildAppSchema();
      graphql = await startGraphQLServer({ schema, httpServer, orm: db.orm, deps: { config, jobs, keyring: ring }, logger, metrics, clientIp });
      dashboard = jobDashboard({ agenda: jobs.agenda, orm: db.orm, config, logger, clientIp });
      app.use(dashboard.router);
      app.use('/graphql', express.json({ limit: config.BODY_LIMIT_BYTES }), graphql.middleware);
      // Raw body and edge HMAC for every webhook route; the routes themselves are mounted after it.
      app.use('/webhooks', edgeSignature({ secret: config.EDGE_SHARED_SECRET, logger }));
    }
    app.use((_req, res) => {
      res.status(404).json({ errors: [{ message: 'Not found', extensions: { code: 'NOT_FOUND' } }] });
    });
    app.use(jsonErrorHandler(logger));

    await new Promise<void>((ok, fail) => {
      httpServer.once('error', fail);
      httpServer.listen(config.PORT, config.HOST, () => ok());
    });
    const port = (httpServer.address() as AddressInfo).port;
    const url = publicUrl(config, port);

    if (config.role !== 'api') await jobs.startProcessing();

    let stopped: Promise<void> | undefined;
    return {
      config,
      url,
      graphqlUrl: `${url}/graphql`,
      dashboardUrl: `${url}${DASHBOARD_PATH}/`,
      port,
      db,
      jobs,
      httpServer,
      bootstrap,
      stop() {
        stopped ??= (async () => {
          // Not ready first, then keep serving for the drain delay while load balancers take us out.
          stopping = true;
          if (config.SHUTDOWN_DRAIN_DELAY_MS) await new Promise((r) => setTimeout(r, config.SHUTDOWN_DRAIN_DELAY_MS));
          shutdownDeadline = Date.now() + config.SHUTDOWN_TIMEOUT_MS;
          dashboard?.close();
          // Stop taking requests first (drains HTTP and closes graphql-ws sockets), then jobs, then the pool.
          if (graphql) await graphql.stop();
          else await new Promise<void>((ok) => httpServer.close(() => ok()));
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
