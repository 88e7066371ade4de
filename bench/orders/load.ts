/**
 * One load run of a write (createOrder) with autocannon: like bench/platform/load.ts `measure`, but
 * every answer is different (new ids), so instead of one expected body each body is checked with a
 * predicate (a GraphQL error comes with status 200 and fails it), and the number of requests sent is
 * kept, to bound the rows the run may have written.
 */
import autocannon from 'autocannon';
import type { RunResult, Target } from '../platform/load.js';
import { cpuTimeMs, rssBytes } from '../platform/processes.js';

export interface WriteTarget extends Omit<Target, 'expectBody'> {
  /** True for an answer that is a created order. */
  verifyBody: (body: string) => boolean;
}

export interface WriteRunResult extends RunResult {
  /** Requests written to the socket, answered or not (the last ones may still commit after the run). */
  sent: number;
}

function options(t: WriteTarget, connections: number, timeoutS: number, durationS: number): autocannon.Options {
  if (new URL(t.url).hostname !== '127.0.0.1') throw new Error(`${t.server}: refusing to load ${t.url}, only 127.0.0.1`);
  return {
    url: t.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...t.headers },
    body: t.body,
    connections,
    duration: durationS,
    timeout: timeoutS,
    verifyBody: (body) => t.verifyBody(typeof body === 'string' ? body : String(body ?? '')),
  };
}

export async function warmUpWrites(t: WriteTarget, connections: number, timeoutS: number, durationS: number): Promise<void> {
  if (durationS > 0) await autocannon(options(t, connections, timeoutS, durationS));
}

export async function measureWrites(t: WriteTarget, connections: number, timeoutS: number, durationS: number): Promise<WriteRunResult> {
  const pid = t.process.pid;
  let maxRss = rssBytes(pid);
  const sampler = setInterval(() => {
    try {
      maxRss = Math.max(maxRss, rssBytes(pid));
    } catch {
      // the process is gone; the caller notices through exitReason()
    }
  }, 200);
  const cpu0 = cpuTimeMs(pid);
  let r: autocannon.Result;
  try {
    r = await autocannon(options(t, connections, timeoutS, durationS));
  } finally {
    clearInterval(sampler);
  }
  const cpuMs = cpuTimeMs(pid) - cpu0;
  maxRss = Math.max(maxRss, rssBytes(pid));
  const exited = t.process.exitReason();
  if (exited) throw new Error(`${t.server}: ${exited} during the run`);
  const requests = r.requests.total;
  const seconds = r.duration > 0 ? r.duration : durationS;
  return {
    reqPerSec: requests / seconds,
    p50: r.latency.p50,
    p99: r.latency.p99,
    requests,
    sent: (r.requests as unknown as { sent: number }).sent,
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    mismatches: r.mismatches,
    cpuMsPerReq: requests > 0 ? cpuMs / requests : NaN,
    maxRssBytes: maxRss,
  };
}
