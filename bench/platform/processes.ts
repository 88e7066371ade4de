/**
 * The three servers of the platform bench, each in a process of its own, and what /proc says about them.
 * Every child is `node --import @swc-node/register/esm-register <entry>`, started directly (no shell),
 * so the pid we hold is the server's own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REGISTER = ['--import', '@swc-node/register/esm-register'];

/** The bootstrap SUPER_ADMIN every bench's Vestline starts with. */
export const BENCH_ADMIN = { email: 'bench@vestline.test', password: 'bench-password-123' };

/**
 * Vestline's environment as deployed (production mode, request logs at info, migrations on start), with
 * fresh secrets, the bench admin, a cheap password hash (sign-in is not measured; hashes are per user,
 * not per request) and a quick shutdown; `extra` adds or overrides.
 */
export function vestlineEnv(databaseUrl: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: '0',
    DATABASE_URL: databaseUrl,
    LOG_LEVEL: 'info',
    MIGRATE_ON_START: '1',
    JWT_SECRET: randomBytes(32).toString('base64url'),
    METRICS_TOKEN: randomBytes(24).toString('base64url'),
    WALLET_MASTER_KEYS: `1:${randomBytes(32).toString('base64')}`,
    BOOTSTRAP_ADMIN_EMAIL: BENCH_ADMIN.email,
    BOOTSTRAP_ADMIN_PASSWORD: BENCH_ADMIN.password,
    PASSWORD_SCRYPT_N: '1024',
    SHUTDOWN_DRAIN_DELAY_MS: '0',
    SHUTDOWN_TIMEOUT_MS: '5000',
    ...extra,
  };
}
const START_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 15_000;

export interface ServerProcess {
  pid: number;
  /** Base URL, http://127.0.0.1:<port> (no trailing slash). */
  url: string;
  /** Why it exited, once it has; a server that exits during the bench fails the run. */
  exitReason(): string | null;
  stop(): Promise<void>;
}

/** Only what a server needs: nothing of the caller's environment leaks in (DATABASE_URL, secrets, …). */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'production' };
  if (process.env.HOME) env.HOME = process.env.HOME;
  return { ...env, ...extra };
}

function track(child: ChildProcess, name: string) {
  let reason: string | null = null;
  const exited = new Promise<void>((ok) =>
    child.once('exit', (code, signal) => {
      reason = `${name} exited (${signal ?? `code ${code}`})`;
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
  return { exited, stop, exitReason: () => reason };
}

/** The bare node:http server or the plain Apollo one; each prints `{"url": …}` when it listens. */
export async function startReferenceProcess(kind: 'bare' | 'apollo', databaseUrl: string, poolMax: number): Promise<ServerProcess> {
  const entry = join(REPO_ROOT, 'bench', kind === 'bare' ? 'baseline-server.ts' : 'apollo-server.ts');
  const child = spawn(process.execPath, [...REGISTER, entry], {
    cwd: REPO_ROOT,
    env: childEnv({ DATABASE_URL: databaseUrl, BENCH_POOL_MAX: String(poolMax) }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const t = track(child, kind);
  const lines = createInterface({ input: child.stdout! });
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`${kind}: not ready after ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
    lines.once('line', (line) => {
      clearTimeout(timer);
      try {
        ok((JSON.parse(line) as { url: string }).url);
      } catch {
        fail(new Error(`${kind}: unexpected first line ${line.slice(0, 200)}`));
      }
    });
    void t.exited.then(() => fail(new Error(`${kind}: ${t.exitReason()} before it was ready`)));
  }).catch(async (e: unknown) => {
    await t.stop();
    throw e;
  });
  lines.on('line', () => undefined); // keep draining
  return { pid: child.pid!, url, exitReason: t.exitReason, stop: t.stop };
}

export interface VestlineProcess extends ServerProcess {
  graphqlUrl: string;
  logFile: string;
}

/**
 * Vestline as deployed: `src/main.ts --role=api` (or `worker`) with its configuration in the environment. Its
 * stdout and stderr (pino JSON lines, one per request at LOG_LEVEL=info) go to `logFile`; the URL comes
 * from the `vestline started` line.
 */
export async function startVestlineProcess(env: Record<string, string>, logFile: string, role: 'api' | 'worker' = 'api'): Promise<VestlineProcess> {
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...REGISTER, join(REPO_ROOT, 'src', 'main.ts'), `--role=${role}`], {
    cwd: REPO_ROOT,
    env: childEnv(env),
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  const t = track(child, 'vestline');
  const tail = () => readFileSync(logFile, 'utf8').split('\n').slice(-25).join('\n');
  const started = Date.now();
  let url: string | null = null;
  while (!url) {
    if (t.exitReason()) throw new Error(`vestline: ${t.exitReason()} before it was ready; its log (${logFile}) ends with:\n${tail()}`);
    if (Date.now() - started > START_TIMEOUT_MS) {
      await t.stop();
      throw new Error(`vestline: not ready after ${START_TIMEOUT_MS / 1000} s; its log (${logFile}) ends with:\n${tail()}`);
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
  return { pid: child.pid!, url, graphqlUrl: `${url}/graphql`, logFile, exitReason: t.exitReason, stop: t.stop };
}

let clockTicks: number | null = null;
/** Clock ticks per second (USER_HZ) of /proc/<pid>/stat: 100 on Linux unless the kernel says otherwise. */
function ticksPerSecond(): number {
  if (clockTicks === null) {
    try {
      const out = readFileSync('/proc/self/auxv');
      // AT_CLKTCK = 17, in 64-bit (type, value) pairs
      for (let i = 0; i + 16 <= out.length; i += 16) if (out.readBigUInt64LE(i) === 17n) clockTicks = Number(out.readBigUInt64LE(i + 8));
    } catch {
      // not Linux, or not readable
    }
    clockTicks ??= 100;
  }
  return clockTicks;
}

/** User + system CPU time of a process so far, in milliseconds (all of its threads). */
export function cpuTimeMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerSecond();
}

/** Resident set size of a process now, in bytes. */
export function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}
