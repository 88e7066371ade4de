/**
 * `BENCH_VESTLINE_VARIANT=<dir>`: a second Vestline, started from another checkout of this repository
 * (a candidate change, e.g. a copy of the tree with one file edited and node_modules linked), loaded
 * side by side with the current one in the same run, against the same references and rows. It is
 * started like bench/platform/processes.ts starts Vestline (same configuration, own log file), but
 * from `<dir>/src/main.ts` with `<dir>` as the working directory.
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { VestlineProcess } from '../platform/processes.js';

const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;

export function variantRoot(): string | null {
  const given = process.env.BENCH_VESTLINE_VARIANT;
  if (!given) return null;
  const root = resolve(given);
  if (!existsSync(join(root, 'src', 'main.ts'))) throw new Error(`BENCH_VESTLINE_VARIANT: no src/main.ts in ${root}`);
  return root;
}

export async function startVariantProcess(root: string, env: Record<string, string>, logFile: string): Promise<VestlineProcess> {
  const fd = openSync(logFile, 'a');
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...(process.env.HOME ? { HOME: process.env.HOME } : {}), ...env };
  const child = spawn(process.execPath, ['--import', '@swc-node/register/esm-register', join(root, 'src', 'main.ts'), '--role=api'], { cwd: root, env: childEnv, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  let reason: string | null = null;
  const exited = new Promise<void>((ok) =>
    child.once('exit', (code, signal) => {
      reason = `variant exited (${signal ?? `code ${code}`})`;
      ok();
    }),
  );
  const stop = async () => {
    if (reason) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  };
  const tail = () => readFileSync(logFile, 'utf8').split('\n').slice(-25).join('\n');
  const started = Date.now();
  let url: string | null = null;
  while (!url) {
    if (reason) throw new Error(`variant: ${reason} before it was ready; its log (${logFile}) ends with:\n${tail()}`);
    if (Date.now() - started > START_TIMEOUT_MS) {
      await stop();
      throw new Error(`variant: not ready after ${START_TIMEOUT_MS / 1000} s; its log (${logFile}) ends with:\n${tail()}`);
    }
    await new Promise((r) => setTimeout(r, 100));
    for (const line of readFileSync(logFile, 'utf8').split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line) as { msg?: string; url?: string };
        if (entry.msg === 'vestline started' && entry.url) url = entry.url.replace(/\/$/, '');
      } catch {
        // a line still being written
      }
    }
  }
  return { pid: child.pid!, url, graphqlUrl: `${url}/graphql`, logFile, exitReason: () => reason, stop };
}
