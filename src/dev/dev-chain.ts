import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Contract, getCreateAddress, toQuantity } from 'ethers';
import type { Deps } from '../deps.js';
import { Network } from '../entities/enums.js';
import type { Logger } from '../logger.js';
import { ANVIL_CHAIN_ID, findAnvilBinary, loadTestTokenArtifact, startAnvil, type Anvil } from './anvil.js';

/**
 * The development chain (DEV_CHAIN=anvil): an anvil node run by the Vestline process itself, with a
 * test USDT (6 decimals) deployed by anvil's first dev account. Its state file keeps blocks, balances
 * and the token across restarts; `runtime.json` beside it tells `npm run dev:pay` where the running
 * chain (and the embedded database) are. Development only: every key here is public.
 */
export const DEV_USDT = { name: 'Test Tether USD', symbol: 'USDT', decimals: 6 } as const;
/** What the deployer holds after deploying the token (dev:pay mints more when it runs short). */
const INITIAL_SUPPLY = 1_000_000_000n * 10n ** 6n;

export class AnvilNotInstalledError extends Error {
  constructor() {
    super(
      'DEV_CHAIN=anvil needs the anvil binary: on linux-x64 `npm install` brings it (optional dependency @foundry-rs/anvil-linux-amd64); elsewhere install Foundry (https://getfoundry.sh, then `foundryup`) so `anvil` is on PATH. Or set DEV_CHAIN=off.',
    );
    this.name = 'AnvilNotInstalledError';
  }
}

/** runtime.json: what a running dev chain publishes for `npm run dev:pay`. */
export interface DevChainRuntime {
  /** The Vestline process that runs the chain. */
  appPid: number;
  anvilPid: number | undefined;
  rpcUrl: string;
  wsUrl: string;
  chainId: number;
  usdtAddress: string;
  /** Only for the embedded PostgreSQL (its password is a public development constant); else dev:pay uses DATABASE_URL. */
  databaseUrl?: string;
}

export interface DevChain {
  anvil: Anvil;
  rpcUrl: string;
  wsUrl: string;
  usdtAddress: string;
  /** True when the token was deployed by this start (a fresh chain), false when it came from the state file. */
  usdtDeployed: boolean;
  dir: string;
  statePath: string;
  /** Adds what dev:pay needs from the started app to runtime.json. */
  publish(extra: { databaseUrl?: string }): Promise<void>;
  /**
   * After a lost state file the chain starts again at block 0 while the database's deposit cursor is
   * further on: mines up to it, so the watcher's stored position is a real block again.
   */
  catchUpWithDatabase(deps: Pick<Deps, 'reads'>): Promise<number>;
  /** Stops anvil (it writes its state first) and removes runtime.json. Idempotent. */
  stop(): Promise<void>;
  /** Last resort on process exit: signals anvil without waiting. */
  killNow(): void;
}

const RUNTIME_FILE = 'runtime.json';
const STATE_FILE = 'state.json';

export function readDevChainRuntime(dir: string): DevChainRuntime | null {
  try {
    return JSON.parse(readFileSync(join(resolve(dir), RUNTIME_FILE), 'utf8')) as DevChainRuntime;
  } catch {
    return null;
  }
}

export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function commandLine(pid: number): string | null {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return null;
  }
}

/**
 * A previous run that died without stopping its anvil (SIGKILL) leaves it running on our state file.
 * A live Vestline behind it means the directory is in use: refuse. An orphan anvil is stopped, which
 * makes it write the state this start then loads.
 */
async function clearPreviousRun(dir: string, logger: Logger): Promise<void> {
  const prev = readDevChainRuntime(dir);
  if (!prev) return;
  if (prev.appPid !== process.pid && isAlive(prev.appPid) && isAlive(prev.anvilPid)) {
    throw new Error(`another Vestline (pid ${prev.appPid}) runs the dev chain in ${dir}: stop it first, or give this one its own DEV_CHAIN_DIR and EMBEDDED_PG_DIR`);
  }
  const pid = prev.anvilPid;
  if (pid && isAlive(pid) && /anvil/.test(commandLine(pid) ?? '')) {
    logger.warn({ pid }, 'stopping the anvil a previous run left behind');
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 5000;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  await rm(join(dir, RUNTIME_FILE), { force: true });
}

/** The test USDT: the one in the loaded state when it is there, else deployed now (and minted to the deployer). */
async function ensureUsdt(anvil: Anvil, logger: Logger): Promise<{ address: string; deployed: boolean }> {
  // On a fresh chain the deployer's first transaction is the deployment, so the token always lands at
  // the same address: the demo site's PAYMENT asset stays right even when the state file is lost.
  const expected = getCreateAddress({ from: anvil.deployer.address, nonce: 0 });
  if ((await anvil.provider.getCode(expected)) !== '0x') {
    const token = new Contract(expected, loadTestTokenArtifact().abi, anvil.provider);
    const [symbol, decimals] = await Promise.all([token.getFunction('symbol')() as Promise<string>, token.getFunction('decimals')() as Promise<bigint>]);
    if (symbol === DEV_USDT.symbol && Number(decimals) === DEV_USDT.decimals) return { address: expected, deployed: false };
    logger.warn({ address: expected, symbol, decimals: Number(decimals) }, 'the dev chain holds another contract where the test USDT belongs; deploying a new one');
  }
  const token = await anvil.deployToken(DEV_USDT);
  await anvil.mint(token, anvil.deployer.address, INITIAL_SUPPLY);
  return { address: token.address, deployed: true };
}

/** Starts anvil on `dir`'s state, makes sure the test USDT is there, and writes runtime.json. */
export async function startDevChain(opts: { dir: string; logger: Logger }): Promise<DevChain> {
  const { logger } = opts;
  const dir = resolve(opts.dir);
  const bin = await findAnvilBinary();
  if (!bin) throw new AnvilNotInstalledError();
  await mkdir(dir, { recursive: true });
  await clearPreviousRun(dir, logger);
  const statePath = join(dir, STATE_FILE);
  let anvil: Anvil;
  try {
    anvil = await startAnvil({ bin, statePath, detached: true });
  } catch (e) {
    throw new Error(`the dev chain did not start (${(e as Error).message}). If ${statePath} is damaged, delete it to start a fresh chain`, { cause: e });
  }
  let runtime: DevChainRuntime;
  let usdt: { address: string; deployed: boolean };
  try {
    usdt = await ensureUsdt(anvil, logger);
    runtime = { appPid: process.pid, anvilPid: anvil.pid, rpcUrl: anvil.url, wsUrl: anvil.wsUrl, chainId: ANVIL_CHAIN_ID, usdtAddress: usdt.address };
    await writeFile(join(dir, RUNTIME_FILE), `${JSON.stringify(runtime, null, 2)}\n`);
  } catch (e) {
    await anvil.stop();
    throw e;
  }
  logger.info({ rpcUrl: anvil.url, usdt: usdt.address, deployed: usdt.deployed, statePath }, 'dev chain started (anvil)');

  let stopped: Promise<void> | undefined;
  return {
    anvil,
    rpcUrl: anvil.url,
    wsUrl: anvil.wsUrl,
    usdtAddress: usdt.address,
    usdtDeployed: usdt.deployed,
    dir,
    statePath,
    async publish(extra) {
      runtime = { ...runtime, ...extra };
      await writeFile(join(dir, RUNTIME_FILE), `${JSON.stringify(runtime, null, 2)}\n`);
    },
    async catchUpWithDatabase(deps) {
      const [row] = await deps.reads.rows<{ block: string }>('select block from chain_cursor where network = ?', [Network.ETHEREUM]);
      const head = await anvil.provider.getBlockNumber();
      const behind = row ? Number(row.block) - head : 0;
      if (behind <= 0) return 0;
      logger.warn({ head, cursor: Number(row!.block) }, 'the dev chain is behind the deposit cursor (state file lost?): mining up to it');
      await anvil.provider.send('anvil_mine', [toQuantity(behind)]);
      return behind;
    },
    stop() {
      stopped ??= (async () => {
        await anvil.stop();
        await rm(join(dir, RUNTIME_FILE), { force: true });
        logger.info({ statePath }, 'dev chain stopped; its state is kept');
      })();
      return stopped;
    },
    killNow() {
      if (anvil.pid && isAlive(anvil.pid)) {
        try {
          process.kill(anvil.pid, 'SIGTERM');
        } catch {
          // Already gone.
        }
      }
    },
  };
}
