import { timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { Config } from '../config.js';
import { bearerToken } from '../services/auth/authenticate.js';
import type { Metrics } from './metrics.js';

const CHECK_TIMEOUT_MS = 2000;

function bearerMatches(header: string | undefined, expected: string): boolean {
  const given = Buffer.from(bearerToken(header) ?? '');
  const want = Buffer.from(expected);
  return given.length === want.length && timingSafeEqual(given, want);
}

async function probe(check: () => Promise<unknown>): Promise<'ok' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([check(), new Promise((_, fail) => (timer = setTimeout(() => fail(new Error('timed out')), CHECK_TIMEOUT_MS)))]);
    return 'ok';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}

/**
 * /healthz: the process is up. /readyz: it can do its work (database and job backend answer within 2 s)
 * and is not shutting down; load balancers route by it. /metrics: Prometheus, behind METRICS_TOKEN when set.
 */
export interface HealthChecks {
  database: () => Promise<unknown>;
  jobs: () => Promise<unknown>;
}

export function healthRoutes(opts: {
  config: Config;
  metrics: Metrics;
  isStopping: () => boolean;
  checks: HealthChecks;
}): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const [database, jobs] = await Promise.all([probe(opts.checks.database), probe(opts.checks.jobs)]);
    const stopping = opts.isStopping();
    const ready = !stopping && database === 'ok' && jobs === 'ok';
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable', checks: { database, jobs, shuttingDown: stopping } });
  });
  router.get('/metrics', async (req, res) => {
    const token = opts.config.METRICS_TOKEN;
    if (token && !bearerMatches(req.headers.authorization, token)) {
      res.status(401).json({ error: 'metrics token required' });
      return;
    }
    res.type(opts.metrics.registry.contentType).send(await opts.metrics.registry.metrics());
  });
  return router;
}
