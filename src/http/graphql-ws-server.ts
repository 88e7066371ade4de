import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { GraphQLError, NoSchemaIntrospectionCustomRule, getOperationAST, getVariableValues, parse, specifiedRules, validate, type GraphQLFormattedError, type GraphQLSchema, type ValidationRule } from 'graphql';
import type { Context } from 'graphql-ws';
import { useServer, type Extra } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { AppDeps } from '../schema/context.js';
import { requestContext } from './request-context.js';
import { resolveRequestScope } from './request-scope.js';
import { clientError } from '../schema/error-map.js';

type WsExtra = {
  authorization?: string;
  siteHeader?: string | null;
  ip?: string | null;
  expiryTimer?: NodeJS.Timeout;
};

/** Errors raised before execution (parse, validation, limits) are the client's: BAD_USER_INPUT. */
function inputError(e: GraphQLError, reason: string): GraphQLError {
  return clientError('BAD_USER_INPUT', e.message, { reason, nodes: e.nodes });
}

/**
 * graphql-ws on the HTTP server's /graphql path. The caller is authenticated at connect AND again for
 * every operation (a deleted, re-roled or expired account loses the socket, not just HTTP), the socket
 * closes itself when the token expires, and every operation goes through the same token, depth,
 * alias, cost and introspection limits as HTTP.
 */
export function startGraphQLWsServer(opts: {
  schema: GraphQLSchema;
  httpServer: Server;
  deps: AppDeps;
  validationRules: readonly ValidationRule[];
  clientIp: (req: IncomingMessage) => string | null;
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
}): { dispose(): Promise<void> } {
  const { config, logger } = opts.deps;
  const rules = [...specifiedRules, ...opts.validationRules, ...(config.isProduction ? [NoSchemaIntrospectionCustomRule] : [])];
  const wsServer = new WebSocketServer({ server: opts.httpServer, path: '/graphql', maxPayload: config.BODY_LIMIT_BYTES });

  const authenticateSocket = (extra: WsExtra) =>
    resolveRequestScope(opts.deps.reads, { authorization: extra.authorization, siteHeader: extra.siteHeader, ip: extra.ip ?? null }, config.JWT_SECRET);

  /** Authenticates a new socket; false closes it (the close code was already sent). */
  const connect = async (ctx: Context<Record<string, unknown>, WsExtra & Extra>): Promise<boolean> => {
    const params = ctx.connectionParams ?? {};
    const authorization = typeof params.authorization === 'string' ? params.authorization : undefined;
    if (!authorization) {
      ctx.extra.socket.close(4401, 'Unauthorized: send { authorization: "Bearer <token>" } in connection_init');
      return false;
    }
    Object.assign(ctx.extra, {
      authorization,
      siteHeader: typeof params['x-site-id'] === 'string' ? params['x-site-id'] : null,
      ip: opts.clientIp(ctx.extra.request),
    });
    const r = await authenticateSocket(ctx.extra);
    if (!r.ok) {
      ctx.extra.socket.close(r.failure.kind === 'unauthenticated' ? 4401 : 4403, `${r.failure.kind === 'unauthenticated' ? 'Unauthorized' : 'Forbidden'}: ${r.failure.message}`);
      return false;
    }
    if (r.expiresAt) {
      const ms = Math.max(0, r.expiresAt.getTime() - Date.now());
      ctx.extra.expiryTimer = setTimeout(() => ctx.extra.socket.close(4401, 'Unauthorized: session expired'), Math.min(ms, 2 ** 31 - 1));
      ctx.extra.expiryTimer.unref();
    }
    return true;
  };

  const cleanup = useServer<Record<string, unknown>, WsExtra>(
    {
      schema: opts.schema,
      onConnect: async (ctx) => {
        try {
          return await connect(ctx);
        } catch (err) {
          // Our logger (redacting), not graphql-ws's console.error with the raw error.
          logger.error({ err }, 'graphql-ws connection failed');
          ctx.extra.socket.close(1011, 'Internal error');
          return false;
        }
      },
      onClose: (ctx) => clearTimeout(ctx.extra.expiryTimer),
      onSubscribe: async (ctx, _id, payload) => {
        const r = await authenticateSocket(ctx.extra);
        if (!r.ok) {
          ctx.extra.socket.close(4401, `Unauthorized: ${r.failure.message}`);
          return [clientError('UNAUTHENTICATED', r.failure.message)];
        }
        let document;
        try {
          document = parse(payload.query, { maxTokens: config.GRAPHQL_MAX_TOKENS });
        } catch (e) {
          return [inputError(e instanceof GraphQLError ? e : new GraphQLError(String(e)), 'GRAPHQL_PARSE_FAILED')];
        }
        const errors = validate(opts.schema, document, rules);
        if (errors.length) return errors.map((e) => inputError(e, 'GRAPHQL_VALIDATION_FAILED'));
        // Variables are coerced here, as Apollo does over HTTP, so a value of the wrong type is the
        // client's error (BAD_USER_INPUT) and never reaches execution, where it would read as internal.
        const operation = getOperationAST(document, payload.operationName);
        if (!operation) return [clientError('BAD_USER_INPUT', 'No operation to run (or operationName names none)', { reason: 'OPERATION_RESOLUTION_FAILURE' })];
        const coerced = getVariableValues(opts.schema, operation.variableDefinitions ?? [], payload.variables ?? {}, { maxErrors: 25 });
        if (coerced.errors) return coerced.errors.map((e) => inputError(e, 'BAD_USER_INPUT'));
        const contextValue = requestContext({ scope: r.scope, user: r.user, requestId: randomUUID(), requestedSiteId: ctx.extra.siteHeader ?? null, deps: opts.deps });
        return { schema: opts.schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue };
      },
      // Errors leave through the same map as over HTTP: codes kept, internals masked and logged.
      onNext: (_ctx, _id, _payload, _args, result) =>
        result.errors ? { ...result, errors: result.errors.map((e) => opts.formatError(e.toJSON(), e)) } : result,
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => opts.formatError(e.toJSON(), e)),
    },
    wsServer,
  );
  return { dispose: async () => cleanup.dispose() };
}
