/**
 * One JSON line per request (Workers Logs / `wrangler tail` pick up console.log). It carries the
 * decision and why, never a body, a signature or a secret. Note: in production Date.now() only advances
 * across I/O, so `ms` is wall time spent waiting (origin, JWKS, KV), not CPU time.
 */
export type Decision = 'forwarded' | 'duplicate' | 'rejected' | 'origin_rejected' | 'origin_failed' | 'error';

export interface RequestLog {
  requestId: string;
  method: string;
  path: string;
  clientIp: string | null;
  decision: Decision;
  status: number;
  reason?: string;
  detail?: string;
  scheme?: 'v1' | 'v2';
  originStatus?: number;
  replayStore?: 'cache' | 'kv';
  ms: number;
}

export function writeLog(entry: RequestLog): void {
  const line = { msg: 'edge request', level: entry.status >= 500 ? 'error' : entry.decision === 'rejected' ? 'warn' : 'info', ...entry };
  console.log(JSON.stringify(line));
}
