import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import express from 'express';
import type { Agenda } from 'agenda';
import type { AppDeps } from '../schema/context.js';
import { buildAppSchema } from '../schema/build-schema.js';
import { errorBody } from '../schema/error-map.js';
import { clientAddress, compileTrust } from './client-ip.js';
import { edgeSignature } from './edge-signature.js';
import { fireblocksWebhook } from './fireblocks-webhook.js';
import { startGraphQLServer } from './graphql-server.js';
import { healthRoutes, type HealthChecks } from './health-routes.js';
import { jsonErrorHandler } from './http-errors.js';
import { jobDashboard } from './job-dashboard.js';
import { pathOf, requestLog } from './request-log.js';

export interface HttpApp {
  httpServer: Server;
  /** Stops taking requests: ends dashboard streams, drains HTTP and closes graphql-ws sockets. */
  stop(): Promise<void>;
}

/**
 * The HTTP side of a process: request log, metrics, health routes on every role; GraphQL (HTTP and
 * graphql-ws), the job dashboard and the webhook routes when it serves the API.
 */
export async function createHttpApp(opts: { deps: AppDeps; agenda: Agenda; serveApi: boolean; isStopping: () => boolean; checks: HealthChecks }): Promise<HttpApp> {
  const { deps } = opts;
  const { config, logger, metrics } = deps;
  const app = express();
  app.disable('x-powered-by');
  // GraphQL answers are never cached by ETag; hashing every body costs CPU for nothing.
  app.set('etag', false);
  const trust = compileTrust(config.TRUST_PROXY);
  app.set('trust proxy', trust);
  const clientIp = (req: IncomingMessage) => clientAddress(req, trust);
  app.use(healthRoutes({ config, metrics, isStopping: opts.isStopping, checks: opts.checks }));

  const logRequest = requestLog(logger);
  // Set once GraphQL is up (it needs the server for graphql-ws), before the server listens.
  const routes: { graphql?: (req: IncomingMessage, res: ServerResponse) => Promise<void> } = {};
  // Every request is logged and counted; /graphql goes straight to Apollo, everything else to Express.
  const httpServer = createServer((req, res) => {
    logRequest(req, res);
    metrics.trackRequest(req, res);
    if (routes.graphql && (req.method === 'POST' || req.method === 'GET') && pathOf(req) === '/graphql') void routes.graphql(req, res);
    else app(req, res);
  });
  if (!opts.serveApi) {
    app.use(notFound);
    app.use(jsonErrorHandler(logger));
    return { httpServer, stop: () => new Promise<void>((ok) => httpServer.close(() => ok())) };
  }

  const graphql = await startGraphQLServer({ schema: await buildAppSchema(), httpServer, deps, clientIp });
  const dashboard = jobDashboard({ agenda: opts.agenda, orm: deps.orm, reads: deps.reads, config, logger, clientIp });
  app.use(dashboard.router);
  routes.graphql = graphql.handler;
  // Raw body and edge HMAC for every webhook route; the routes themselves are mounted after it.
  app.use('/webhooks', edgeSignature({ secret: config.EDGE_SHARED_SECRET, logger, onRefuse: (reason) => metrics.edgeRefusals.inc({ reason }) }));
  const webhook = fireblocksWebhook(deps);
  app.post('/webhooks/fireblocks', (req, res, next) => void webhook(req, res).catch(next));
  app.use(notFound);
  app.use(jsonErrorHandler(logger));
  return {
    httpServer,
    async stop() {
      dashboard.close();
      await graphql.stop();
    },
  };
}

function notFound(_req: express.Request, res: express.Response): void {
  res.status(404).json(errorBody('NOT_FOUND', 'Not found'));
}
