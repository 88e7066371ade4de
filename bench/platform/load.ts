/** One load run with autocannon against one server, with that server's CPU time and RSS from /proc. */
import autocannon from 'autocannon';
import { cpuTimeMs, rssBytes, type ServerProcess } from './processes.js';
import type { ServerKind } from './settings.js';

export interface Target {
  server: ServerKind;
  process: ServerProcess;
  url: string;
  headers: Record<string, string>;
  body: string;
  /** The exact answer the check got; any other body under load is a mismatch. */
  expectBody?: string;
}

export interface RunResult {
  /** Completed requests divided by the measured seconds. */
  reqPerSec: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  mismatches: number;
  /** Server process CPU (user + system) over the run, per completed request. */
  cpuMsPerReq: number;
  /** Largest VmRSS of the server process seen during the run (sampled every 200 ms). */
  maxRssBytes: number;
}

export interface LoadOptions {
  connections: number;
  timeoutS: number;
}

function options(t: Target, o: LoadOptions, durationS: number): autocannon.Options {
  if (new URL(t.url).hostname !== '127.0.0.1') throw new Error(`${t.server}: refusing to load ${t.url}, only 127.0.0.1`);
  return {
    url: t.url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...t.headers },
    body: t.body,
    connections: o.connections,
    duration: durationS,
    timeout: o.timeoutS,
    expectBody: t.expectBody,
  };
}

export async function warmUp(t: Target, o: LoadOptions, durationS: number): Promise<void> {
  if (durationS > 0) await autocannon(options(t, o, durationS));
}

export async function measure(t: Target, o: LoadOptions, durationS: number): Promise<RunResult> {
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
    r = await autocannon(options(t, o, durationS));
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
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    mismatches: r.mismatches,
    cpuMsPerReq: requests > 0 ? cpuMs / requests : NaN,
    maxRssBytes: maxRss,
  };
}

/** A run fails on any error (timeouts included), non-2xx answer or body other than the checked one. */
export function runFailed(r: RunResult): boolean {
  return r.errors > 0 || r.non2xx > 0 || r.mismatches > 0 || r.requests === 0;
}
