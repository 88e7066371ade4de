import type { ApolloServerPlugin } from '@apollo/server';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { routeOf } from './request-log.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Operation names come from clients: past this many distinct names, new ones are counted as "other". */
const MAX_OPERATION_NAMES = 200;

export interface Metrics {
  registry: Registry;
  /** Times and counts one HTTP request (call it when the request arrives). */
  trackRequest(req: IncomingMessage, res: ServerResponse): void;
  graphqlPlugin: ApolloServerPlugin;
  walletPoolAvailable: Gauge<'site' | 'network'>;
  /** Deposit watcher: the last head it read, its passes, and the transfers it stored by outcome. */
  depositHead: Gauge<'network'>;
  depositPasses: Counter<'network' | 'outcome'>;
  depositTransfers: Counter<'network' | 'outcome'>;
  /** Payouts: submissions, failures by reason, webhooks by outcome, tokens released per asset, custody latency, backlog. */
  payoutSubmitted: Counter;
  payoutFailed: Counter<'reason'>;
  webhooks: Counter<'outcome' | 'reason'>;
  payoutTokensReleased: Counter<'asset'>;
  custodyLatency: Histogram<'operation' | 'outcome'>;
  custodyRetries: Counter<'operation'>;
  releasesProcessingStuck: Gauge;
  releasesUnlockedPending: Gauge;
  /** Requests under /webhooks/ the edge-signature check refused, by reason. */
  edgeRefusals: Counter<'reason'>;
  /** Merchant webhooks: attempts by outcome, attempt latency, and the queue of deliveries due. */
  webhookDeliveries: Counter<'outcome'>;
  webhookAttemptDuration: Histogram<'outcome'>;
  webhookQueueDepth: Gauge;
  emailDeliveries: Counter<'outcome'>;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'vestline_' });
  const httpRequests = new Counter({
    name: 'vestline_http_requests_total',
    help: 'HTTP requests by method, route and status code.',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  const httpDuration = new Histogram({
    name: 'vestline_http_request_duration_seconds',
    help: 'HTTP request latency by method and route.',
    labelNames: ['method', 'route'] as const,
    buckets: BUCKETS,
    registers: [registry],
  });
  const gqlOps = new Counter({
    name: 'vestline_graphql_operations_total',
    help: 'GraphQL operations by operation name, type and outcome (ok, error, rejected).',
    labelNames: ['operation', 'type', 'outcome'] as const,
    registers: [registry],
  });
  const gqlDuration = new Histogram({
    name: 'vestline_graphql_operation_duration_seconds',
    help: 'GraphQL operation latency by operation name and outcome.',
    labelNames: ['operation', 'outcome'] as const,
    buckets: BUCKETS,
    registers: [registry],
  });

  const walletPoolAvailable = new Gauge({
    name: 'vestline_wallet_pool_available',
    help: 'AVAILABLE deposit wallets per site and network, as last seen by the replenish job.',
    labelNames: ['site', 'network'] as const,
    registers: [registry],
  });

  const depositHead = new Gauge({
    name: 'vestline_deposit_watcher_head_block',
    help: 'Latest block number the deposit watcher of a network read (on the process holding its lock).',
    labelNames: ['network'] as const,
    registers: [registry],
  });
  const depositPasses = new Counter({
    name: 'vestline_deposit_watcher_passes_total',
    help: 'Deposit watcher passes by network and outcome (ok, failed).',
    labelNames: ['network', 'outcome'] as const,
    registers: [registry],
  });
  const depositTransfers = new Counter({
    name: 'vestline_deposit_transfers_total',
    help: 'Transfers into deposit wallets by network and outcome (credited, late, revived, reorged).',
    labelNames: ['network', 'outcome'] as const,
    registers: [registry],
  });

  const payoutSubmitted = new Counter({ name: 'vestline_payouts_submitted_total', help: 'Releases submitted to custody (accepted by it).', registers: [registry] });
  const payoutFailed = new Counter({
    name: 'vestline_payouts_failed_total',
    help: 'Payout submissions that failed: refused by custody (the release FAILED) or unavailable (left PROCESSING for reconcile).',
    labelNames: ['reason'] as const,
    registers: [registry],
  });
  const webhooks = new Counter({
    name: 'vestline_custody_webhooks_total',
    help: 'Custody webhooks by outcome (released, failed, recorded, stale, duplicate, unknown_transaction, ignored_type, rejected) and, for rejected, the reason.',
    labelNames: ['outcome', 'reason'] as const,
    registers: [registry],
  });
  const payoutTokensReleased = new Counter({
    name: 'vestline_payout_tokens_released_total',
    help: 'Tokens released (whole units, a float for graphs only; the database holds the exact sums) per DISTRIBUTION asset id.',
    labelNames: ['asset'] as const,
    registers: [registry],
  });
  const custodyLatency = new Histogram({
    name: 'vestline_custody_request_duration_seconds',
    help: 'Custody API calls by operation (submit, lookup) and outcome (ok, refused, unavailable).',
    labelNames: ['operation', 'outcome'] as const,
    buckets: BUCKETS,
    registers: [registry],
  });
  const custodyRetries = new Counter({ name: 'vestline_custody_retries_total', help: 'Custody calls answered 429 (rate limited) by operation.', labelNames: ['operation'] as const, registers: [registry] });
  const releasesProcessingStuck = new Gauge({
    name: 'vestline_releases_processing_stuck',
    help: 'Releases PROCESSING longer than PAYOUT_RECONCILE_AFTER_MINUTES, as last counted by the reconcile job (all sites).',
    registers: [registry],
  });
  const releasesUnlockedPending = new Gauge({ name: 'vestline_releases_unlocked_pending', help: 'UNLOCKED releases waiting for a payout batch, as last counted by the reconcile job (all sites).', registers: [registry] });

  const edgeRefusals = new Counter({
    name: 'vestline_edge_refusals_total',
    help: 'Requests under /webhooks/ refused at the API for a missing or bad edge signature, or an unreadable or oversized body, by reason.',
    labelNames: ['reason'] as const,
    registers: [registry],
  });

  const webhookDeliveries = new Counter({ name: 'vestline_webhook_deliveries_total', help: 'Merchant webhook delivery attempts by outcome (delivered, retrying, failed).', labelNames: ['outcome'] as const, registers: [registry] });
  const webhookAttemptDuration = new Histogram({ name: 'vestline_webhook_attempt_duration_seconds', help: 'Duration of one merchant webhook attempt.', labelNames: ['outcome'] as const, buckets: BUCKETS, registers: [registry] });
  const webhookQueueDepth = new Gauge({ name: 'vestline_webhook_queue_depth', help: 'Merchant webhook deliveries PENDING (all sites), as last counted by the delivery job.', registers: [registry] });
  for (const outcome of ['delivered', 'retrying', 'failed']) webhookDeliveries.inc({ outcome }, 0);
  const emailDeliveries = new Counter({ name: 'vestline_email_deliveries_total', help: 'Customer e-mail attempts by outcome (sent, retrying, failed; skipped while SMTP_URL is unset).', labelNames: ['outcome'] as const, registers: [registry] });
  for (const outcome of ['sent', 'retrying', 'failed', 'skipped']) emailDeliveries.inc({ outcome }, 0);

  // Known label values start at 0, so increase() over a restart sees the first event too.
  for (const reason of ['refused', 'unavailable']) payoutFailed.inc({ reason }, 0);
  for (const outcome of ['released', 'failed', 'recorded', 'stale', 'duplicate', 'unknown_transaction', 'ignored_type']) webhooks.inc({ outcome, reason: '' }, 0);
  for (const operation of ['submit', 'lookup']) custodyRetries.inc({ operation }, 0);

  const seenNames = new Set<string>();
  const opLabel = (name: string | null | undefined) => {
    if (!name) return 'anonymous';
    if (seenNames.has(name)) return name;
    if (seenNames.size >= MAX_OPERATION_NAMES || !/^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name)) return 'other';
    seenNames.add(name);
    return name;
  };


  return {
    registry,
    walletPoolAvailable,
    depositHead,
    depositPasses,
    depositTransfers,
    payoutSubmitted,
    payoutFailed,
    webhooks,
    payoutTokensReleased,
    custodyLatency,
    custodyRetries,
    releasesProcessingStuck,
    releasesUnlockedPending,
    edgeRefusals,
    webhookDeliveries,
    webhookAttemptDuration,
    webhookQueueDepth,
    emailDeliveries,
    trackRequest(req, res) {
      // Known routes only, so scanners hitting random paths cannot grow the label set.
      const route = routeOf(req);
      const method = req.method ?? 'GET';
      const end = httpDuration.startTimer({ method, route });
      res.on('finish', () => {
        end();
        httpRequests.inc({ method, route, status: String(res.statusCode) });
      });
    },
    graphqlPlugin: {
      async requestDidStart() {
        const started = process.hrtime.bigint();
        let outcome: 'ok' | 'error' | 'rejected' = 'ok';
        return {
          async validationDidStart() {
            return async (errors) => {
              if (errors?.length) outcome = 'rejected';
            };
          },
          async didEncounterErrors(rc) {
            if (outcome === 'ok') outcome = rc.operation ? 'error' : 'rejected';
          },
          async willSendResponse(rc) {
            const seconds = Number(process.hrtime.bigint() - started) / 1e9;
            const operation = opLabel(rc.operation ? rc.operationName : rc.request.operationName);
            gqlOps.inc({ operation, type: rc.operation?.operation ?? 'unknown', outcome });
            gqlDuration.observe({ operation, outcome }, seconds);
          },
        };
      },
    },
  };
}
