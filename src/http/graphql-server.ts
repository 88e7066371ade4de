import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Request, RequestHandler } from 'express';
import { GraphQLError, specifiedRules, validate, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Logger } from '../logger.js';
import type { AppDeps, GraphQLContext } from '../schema/context.js';
import { toClientError } from '../schema/error-map.js';
import { SITE_FILTER } from '../entities/site-scope.js';
import type { RequestScope } from '../services/auth/actor.js';
import type { Metrics } from './metrics.js';
import { headerValue, resolveRequestScope } from './request-scope.js';
import { requestId as requestIdOf } from './request-log.js';

export interface GraphQLServer {
  middleware: RequestHandler;
  stop(): Promise<void>;
}

type WsExtra = {
  scope?: RequestScope;
  requestedSiteId?: string | null;
};

/** Apollo (queries, mutations) and graphql-ws (subscriptions) on the same HTTP server and path. */
export async function startGraphQLServer(opts: {
  schema: GraphQLSchema;
  httpServer: Server;
  orm: MikroORM;
  deps: AppDeps;
  logger: Logger;
  metrics: Metrics;
  clientIp: (req: Request) => string | null;
  wsClientIp: (headers: Record<string, string | string[] | undefined>, remote: string | undefined) => string | null;
}): Promise<GraphQLServer> {
  const { config } = opts.deps;
  const armor = new ApolloArmor({
    maxDepth: { n: config.GRAPHQL_MAX_DEPTH },
    maxAliases: { n: config.GRAPHQL_MAX_ALIASES },
    // Armor's Apollo token plugin throws from a parsing hook, which Apollo answers with a 500;
    // graphql-js's own parser limit (parseOptions below) refuses with a 400 instead.
    maxTokens: { enabled: false },
    costLimit: { maxCost: config.GRAPHQL_MAX_COST },
    maxDirectives: { n: config.GRAPHQL_MAX_DIRECTIVES },
    blockFieldSuggestion: { enabled: config.isProduction },
  }).protect();

  const logInternal = (log: Logger, err: unknown) => log.error({ err }, 'internal error in GraphQL operation');
  /** graphql-ws has no request plugin: map and log in one step. */
  const formatWsError = (formatted: GraphQLFormattedError, error: unknown) => {
    const r = toClientError(formatted, error);
    if (r.internal !== undefined) logInternal(opts.logger, r.internal);
    return r.error;
  };

  const wsServer = new WebSocketServer({ server: opts.httpServer, path: '/graphql' });
  const wsCleanup = useServer<Record<string, unknown>, WsExtra>(
    {
      schema: opts.schema,
      // Same abuse limits as over HTTP (depth, aliases, cost, directives).
      validate: (schema, document) => validate(schema, document, [...specifiedRules, ...armor.validationRules]),
      // The token is checked before anything else happens: a bad or missing one closes the socket
      // (4401), never a silent anonymous connection.
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const authorization = typeof params.authorization === 'string' ? params.authorization : null;
        const siteHeader = typeof params['x-site-id'] === 'string' ? params['x-site-id'] : null;
        if (!authorization) {
          ctx.extra.socket.close(4401, 'Unauthorized: send { authorization: "Bearer <token>" } in connection_init');
          return false;
        }
        const em = opts.orm.em.fork();
        const r = await resolveRequestScope(em, { authorization, siteHeader, ip: opts.wsClientIp(ctx.extra.request.headers, ctx.extra.request.socket.remoteAddress) }, config.JWT_SECRET);
        if (!r.ok) {
          if (r.failure.kind === 'unauthenticated') ctx.extra.socket.close(4401, `Unauthorized: ${r.failure.message}`);
          else ctx.extra.socket.close(4403, `Forbidden: ${r.failure.message}`);
          return false;
        }
        ctx.extra.scope = r.scope;
        ctx.extra.requestedSiteId = siteHeader;
        return true;
      },
      context: (ctx): GraphQLContext => {
        const scope = ctx.extra.scope!;
        const em = opts.orm.em.fork();
        em.setFilterParams(SITE_FILTER, { siteId: scope.siteId });
        const requestId = randomUUID();
        return { ...scope, em, requestId, requestedSiteId: ctx.extra.requestedSiteId ?? null, log: opts.logger.child({ requestId }), deps: opts.deps };
      },
      // Errors leave through the same map as over HTTP: codes kept, internals masked.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((e) => formatWsError(e.toJSON(), e)) } : result,
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => formatWsError(e.toJSON(), e)),
    },
    wsServer,
  );

  const apollo = new ApolloServer<GraphQLContext>({
    schema: opts.schema,
    introspection: !config.isProduction,
    csrfPrevention: true,
    // main.ts owns SIGTERM/SIGINT: HTTP first, then jobs, then the database.
    stopOnTerminationSignals: false,
    includeStacktraceInErrorResponses: false,
    allowBatchedHttpRequests: false,
    parseOptions: { maxTokens: config.GRAPHQL_MAX_TOKENS },
    validationRules: armor.validationRules,
    formatError: (formatted, error) => toClientError(formatted, error).error,
    plugins: [
      // graphql-armor ships CommonJS typings of @apollo/server; the plugins are the same at run time.
      ...(armor.plugins as unknown as ApolloServerPlugin<GraphQLContext>[]),
      opts.metrics.graphqlPlugin,
      {
        // Internal errors are logged here, where the request's logger (with its request id) is known.
        async requestDidStart() {
          return {
            async didEncounterErrors(rc) {
              for (const e of rc.errors) {
                const internal = toClientError(e.toJSON(), e).internal;
                if (internal !== undefined) logInternal(rc.contextValue?.log ?? opts.logger, internal);
              }
            },
          };
        },
      },
      ApolloServerPluginDrainHttpServer({ httpServer: opts.httpServer }),
      // No cache hints are used; the default plugin would still hook every field.
      ApolloServerPluginCacheControlDisabled(),
      config.isProduction ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  const middleware = expressMiddleware(apollo, {
    context: async ({ req }): Promise<GraphQLContext> => {
      const em = opts.orm.em.fork();
      const requestId = requestIdOf(req);
      const siteHeader = headerValue(req.headers['x-site-id']);
      const log = opts.logger.child({ requestId });
      // Errors here (e.g. the database is down) never reach the request plugins: log them now.
      const r = await resolveRequestScope(
        em,
        { authorization: headerValue(req.headers.authorization), siteHeader, ip: opts.clientIp(req) },
        config.JWT_SECRET,
      ).catch((e: unknown) => {
        logInternal(log, e);
        throw e;
      });
      if (!r.ok) {
        const unauth = r.failure.kind === 'unauthenticated';
        throw new GraphQLError(r.failure.message, {
          extensions: { code: unauth ? 'UNAUTHENTICATED' : 'BAD_USER_INPUT', http: { status: unauth ? 401 : 400 } },
        });
      }
      return { ...r.scope, em, requestId, requestedSiteId: siteHeader, log, deps: opts.deps };
    },
  });

  return { middleware, stop: () => apollo.stop() };
}
