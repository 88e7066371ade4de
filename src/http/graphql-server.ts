import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GraphQLFormattedError, GraphQLSchema } from 'graphql';
import type { Logger } from '../logger.js';
import type { AppDeps, GraphQLContext } from '../schema/context.js';
import { clientError, toClientError } from '../schema/error-map.js';
import { requestContext } from './request-context.js';
import { headerValue, resolveRequestScope } from './request-scope.js';
import { requestId as requestIdOf } from './request-log.js';
import { graphqlHttpHandler } from './graphql-http.js';
import { startGraphQLWsServer } from './graphql-ws-server.js';

export interface GraphQLServer {
  /** Serves POST/GET /graphql on the bare node:http request. */
  handler(req: IncomingMessage, res: ServerResponse): Promise<void>;
  stop(): Promise<void>;
}

/** Apollo (queries, mutations) and graphql-ws (subscriptions) on the same HTTP server and path. */
export async function startGraphQLServer(opts: {
  schema: GraphQLSchema;
  httpServer: Server;
  deps: AppDeps;
  /** The client address of a request (Express request or raw upgrade request), per TRUST_PROXY. */
  clientIp: (req: IncomingMessage) => string | null;
}): Promise<GraphQLServer> {
  const { config, logger, metrics } = opts.deps;
  const armor = new ApolloArmor({
    maxDepth: { n: config.GRAPHQL_MAX_DEPTH },
    maxAliases: { n: config.GRAPHQL_MAX_ALIASES },
    // Armor's Apollo token plugin throws from a parsing hook, which Apollo answers with a 500;
    // graphql-js's own parser limit (parseOptions below) refuses with a 400 instead.
    maxTokens: { enabled: false },
    costLimit: { maxCost: config.GRAPHQL_MAX_COST },
    maxDirectives: { n: config.GRAPHQL_MAX_DIRECTIVES },
    // Suggestions are stripped in production by schema/error-map.ts, for both transports alike.
    blockFieldSuggestion: { enabled: false },
  }).protect();

  const logInternal = (log: Logger, err: unknown) => log.error({ err }, 'internal error in GraphQL operation');
  /** graphql-ws has no request plugin: map and log in one step. */
  const errorOptions = { hideSuggestions: config.isProduction };
  const formatWsError = (formatted: GraphQLFormattedError, error: unknown) => {
    const r = toClientError(formatted, error, errorOptions);
    if (r.internal !== undefined) logInternal(logger, r.internal);
    return r.error;
  };

  const ws = startGraphQLWsServer({
    schema: opts.schema,
    httpServer: opts.httpServer,
    deps: opts.deps,
    validationRules: armor.validationRules,
    clientIp: opts.clientIp,
    formatError: formatWsError,
  });

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
    formatError: (formatted, error) => toClientError(formatted, error, errorOptions).error,
    plugins: [
      metrics.graphqlPlugin,
      {
        // Internal errors are logged here, where the request's logger (with its request id) is known.
        async requestDidStart() {
          return {
            async didEncounterErrors(rc) {
              for (const e of rc.errors) {
                const internal = toClientError(e.toJSON(), e, errorOptions).internal;
                if (internal !== undefined) logInternal(rc.contextValue?.log ?? logger, internal);
              }
            },
          };
        },
      },
      ApolloServerPluginDrainHttpServer({ httpServer: opts.httpServer, stopGracePeriodMillis: Math.floor(config.SHUTDOWN_TIMEOUT_MS / 3) }),
      // No cache hints are used; the default plugin would still hook every field.
      ApolloServerPluginCacheControlDisabled(),
      config.isProduction ? ApolloServerPluginLandingPageDisabled() : ApolloServerPluginLandingPageLocalDefault({ embed: true }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await ws.dispose();
            },
          };
        },
      },
    ],
  });
  await apollo.start();

  const handler = graphqlHttpHandler(apollo, {
    bodyLimit: config.BODY_LIMIT_BYTES,
    logger,
    context: async (req): Promise<GraphQLContext> => {
      const requestId = requestIdOf(req);
      const siteHeader = headerValue(req.headers['x-site-id']);
      // Errors here (e.g. the database is down) never reach the request plugins: log them now.
      const r = await resolveRequestScope(opts.deps.reads, { authorization: headerValue(req.headers.authorization), siteHeader, ip: opts.clientIp(req) }, config.JWT_SECRET).catch(
        (e: unknown) => {
          logInternal(logger.child({ requestId }), e);
          throw e;
        },
      );
      if (!r.ok) {
        const unauth = r.failure.kind === 'unauthenticated';
        throw clientError(unauth ? 'UNAUTHENTICATED' : 'BAD_USER_INPUT', r.failure.message, { httpStatus: unauth ? 401 : 400 });
      }
      return requestContext({ scope: r.scope, user: r.user, requestId, requestedSiteId: siteHeader, idempotencyKey: headerValue(req.headers['idempotency-key']) ?? null, deps: opts.deps });
    },
  });

  return { handler, stop: () => apollo.stop() };
}
