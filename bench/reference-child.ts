/**
 * Runs a reference server as its own process for the platform benchmark: reads DATABASE_URL and
 * BENCH_POOL_MAX, listens on a free port of 127.0.0.1, prints one line `{"url": …}` on stdout when
 * ready, and stops on SIGTERM/SIGINT.
 */
import { pathToFileURL } from 'node:url';

export interface ReferenceServer {
  url: string;
  stop(): Promise<void>;
}

/** True when `moduleUrl` (import.meta.url) is the script node was started with. */
export function isEntry(moduleUrl: string): boolean {
  const script = process.argv[1];
  return script !== undefined && moduleUrl === pathToFileURL(script).href;
}

export async function runAsChild(name: string, start: (databaseUrl: string, poolMax: number) => Promise<ReferenceServer>): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error(`${name}: DATABASE_URL is required`);
  const poolMax = Number(process.env.BENCH_POOL_MAX ?? 10);
  const server = await start(databaseUrl, poolMax);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(1), 5000).unref();
    void server.stop().finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
}
