/**
 * A local anvil node (Foundry) and the TestToken ERC20 on it: used by the tests (test/support/anvil.ts
 * re-exports this module) and by the development chain (src/dev/dev-chain.ts, DEV_CHAIN=anvil).
 * Development and test only: the keys below are public.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import {
  Contract,
  ContractFactory,
  JsonRpcProvider,
  Wallet,
  toQuantity,
  type ContractTransactionResponse,
  type InterfaceAbi,
  type TransactionReceipt,
} from 'ethers';

/** Chain id the node is started with (anvil's default, passed explicitly). */
export const ANVIL_CHAIN_ID = 31337;

/**
 * Anvil's first dev account: mnemonic "test test test test test test test test test test test junk",
 * path m/44'/60'/0'/0/0, as printed by anvil at startup and documented by Foundry. Test-only key.
 * startAnvil() checks it is the node's eth_accounts[0] before handing it out.
 */
export const ANVIL_DEFAULT_PRIVATE_KEY = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80';

/** The committed output of `npm run build:test-erc20` (test/fixtures/erc20/TestToken.json). */
export interface TestTokenArtifact {
  contractName: string;
  abi: InterfaceAbi;
  bytecode: string;
  compiler: string;
  source: string;
}

export interface DeployedToken {
  address: string;
  /** Connected to the deployer: reads go through the anvil provider, writes are signed by the deployer. */
  contract: Contract;
  /** Block the deployment was mined in (a lower bound for log scans). */
  blockNumber: number;
}

/** A token to act on: its address, or what deployToken() returned. */
export type TokenRef = string | DeployedToken;

export interface Anvil {
  /** http://127.0.0.1:PORT */
  url: string;
  /** ws://127.0.0.1:PORT: anvil serves JSON-RPC over WebSocket on the same port. */
  wsUrl: string;
  /** The node's process id. */
  pid: number | undefined;
  chainId: number;
  provider: JsonRpcProvider;
  /** Anvil's first dev account (10 000 ETH), owner of every token deployed through deployToken(). */
  deployer: Wallet;
  deployToken(opts: { name: string; symbol: string; decimals: number }): Promise<DeployedToken>;
  /** Owner-only mint, sent by the deployer; resolves once mined. */
  mint(token: TokenRef, to: string, amount: bigint): Promise<TransactionReceipt>;
  /** ERC20 transfer from the deployer's balance; resolves once mined. */
  transfer(token: TokenRef, to: string, amount: bigint): Promise<TransactionReceipt>;
  /** Mines empty blocks (anvil_mine), e.g. to reach a confirmation depth. */
  mine(blocks?: number): Promise<void>;
  /** Kills the node and waits for it to exit (with `statePath`, anvil writes its state first). Idempotent. */
  stop(): Promise<void>;
}

export interface AnvilOptions {
  /** The anvil binary; default anvilBinaryPath(). */
  bin?: string;
  /**
   * anvil `--state`: load the chain from this file when it exists, write it back on exit (SIGTERM or
   * SIGINT), so blocks, balances and contracts survive a restart.
   */
  statePath?: string;
  /**
   * Run anvil in its own process group, so a Ctrl-C at the terminal reaches only the parent, which
   * then stops anvil after everything that uses it.
   */
  detached?: boolean;
}

const STARTUP_TIMEOUT_MS = 15_000;
const STOP_GRACE_MS = 5_000;
const PORT_ATTEMPTS = 5;

let artifactCache: TestTokenArtifact | undefined;

export function loadTestTokenArtifact(): TestTokenArtifact {
  // src/dev/ and dist/dev/ both sit two levels below the project root, beside test/.
  artifactCache ??= JSON.parse(
    readFileSync(new URL('../../test/fixtures/erc20/TestToken.json', import.meta.url), 'utf8'),
  ) as TestTokenArtifact;
  return artifactCache;
}

/** Path of the anvil binary shipped by the optional dependency @foundry-rs/anvil-linux-amd64. */
export function anvilBinaryPath(): string {
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('@foundry-rs/anvil-linux-amd64/package.json');
  } catch (cause) {
    throw new Error(
      'anvil is not installed: @foundry-rs/anvil-linux-amd64 is an optionalDependency for linux-x64 only (run npm ci there)',
      { cause },
    );
  }
  const bin = join(dirname(pkg), 'bin', 'anvil');
  accessSync(bin, constants.X_OK);
  return bin;
}

/**
 * The anvil to run: the optional dependency's binary, else an `anvil` on PATH (Foundry's installer puts
 * it there on macOS and elsewhere); null when there is none.
 */
export async function findAnvilBinary(): Promise<string | null> {
  try {
    return anvilBinaryPath();
  } catch {
    // Not the linux-x64 package: try PATH.
  }
  return new Promise((ok) => {
    execFile('anvil', ['--version'], { timeout: 10_000 }, (err) => ok(err ? null : 'anvil'));
  });
}

/** Starts anvil (automine, chain id 31337) on a free 127.0.0.1 port: a fresh chain, or the one in `statePath`. */
export async function startAnvil(opts: AnvilOptions = {}): Promise<Anvil> {
  const bin = opts.bin ?? anvilBinaryPath();
  let lastError: unknown;
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
    const port = await freePort();
    try {
      const child = await spawnAnvil(bin, port, opts);
      return await connect(child, `http://127.0.0.1:${port}`);
    } catch (e) {
      lastError = e;
      // Another process took the port between freePort() and anvil's bind: try another one.
      if (!(e instanceof PortInUseError)) throw e;
    }
  }
  throw new Error(`anvil could not bind a free port in ${PORT_ATTEMPTS} attempts`, { cause: lastError });
}

class PortInUseError extends Error {}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.on('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => ok(port));
    });
  });
}

/** Spawns anvil and resolves once it answers eth_chainId; rejects (and kills it) otherwise. */
async function spawnAnvil(bin: string, port: number, opts: AnvilOptions): Promise<ChildProcess> {
  // --quiet: no banner or per-request logs (`--silent` is accepted too but not in 1.7.1's --help);
  // errors such as "Address already in use" still go to stderr.
  const args = ['--host', '127.0.0.1', '--port', String(port), '--chain-id', String(ANVIL_CHAIN_ID), '--quiet'];
  if (opts.statePath) args.push('--state', opts.statePath);
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: opts.detached ?? false });
  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
  });

  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: Error | undefined;
  child.once('exit', (code, signal) => (exited = { code, signal }));
  child.once('error', (e) => (spawnError = e));

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (spawnError) throw new Error(`anvil could not be started (${bin})`, { cause: spawnError });
    if (exited) {
      if (/address already in use/i.test(stderr)) throw new PortInUseError(`port ${port} is in use`);
      throw new Error(`anvil exited during startup (code ${exited.code}, signal ${exited.signal}): ${stderr.trim()}`);
    }
    if ((await chainIdOf(url)) === ANVIL_CHAIN_ID) return child;
    await sleep(20);
  }
  await kill(child);
  throw new Error(`anvil did not answer eth_chainId on ${url} within ${STARTUP_TIMEOUT_MS} ms: ${stderr.trim()}`);
}

/** eth_chainId over plain HTTP (no ethers retry logic), undefined while the node is not up. */
async function chainIdOf(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'eth_chainId', params: [] }),
      signal: AbortSignal.timeout(1000),
    });
    const body = (await res.json()) as { result?: string };
    return typeof body.result === 'string' ? Number(BigInt(body.result)) : undefined;
  } catch {
    return undefined;
  }
}

async function connect(child: ChildProcess, url: string): Promise<Anvil> {
  const provider = new JsonRpcProvider(url, ANVIL_CHAIN_ID, {
    staticNetwork: true,
    cacheTimeout: -1,
    // tx.wait() and block subscriptions poll at this rate (ethers' default is 4 s).
    pollingInterval: 100,
  });
  const deployer = new Wallet(ANVIL_DEFAULT_PRIVATE_KEY, provider);
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      provider.destroy();
      await kill(child);
    })());

  try {
    const accounts = (await provider.send('eth_accounts', [])) as string[];
    if (accounts[0]?.toLowerCase() !== deployer.address.toLowerCase()) {
      throw new Error(`anvil's first account is ${accounts[0]}, not the default ${deployer.address}`);
    }
  } catch (e) {
    await stop();
    throw e;
  }

  const { abi, bytecode } = loadTestTokenArtifact();

  // Deployer transactions run one at a time, each waiting for its receipt, so every one takes a
  // fresh `pending` nonce from the node: safe for concurrent helper calls, and for tests that also
  // send from `deployer` directly as long as they await their own transactions.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn, fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const mined = async (tx: ContractTransactionResponse | null | undefined, what: string): Promise<TransactionReceipt> => {
    const receipt = await tx?.wait();
    if (!receipt) throw new Error(`${what}: no receipt`);
    return receipt;
  };

  const tokenAt = (token: TokenRef): Contract =>
    typeof token === 'string' ? new Contract(token, abi, deployer) : token.contract;

  return {
    url,
    wsUrl: url.replace(/^http:/, 'ws:'),
    pid: child.pid,
    chainId: ANVIL_CHAIN_ID,
    provider,
    deployer,
    deployToken: ({ name, symbol, decimals }) =>
      serial(async () => {
        const deployed = await new ContractFactory(abi, bytecode, deployer).deploy(name, symbol, decimals);
        const receipt = await mined(deployed.deploymentTransaction(), `deploy ${symbol}`);
        const address = await deployed.getAddress();
        return { address, contract: new Contract(address, abi, deployer), blockNumber: receipt.blockNumber };
      }),
    mint: (token, to, amount) =>
      serial(async () => {
        const tx = (await tokenAt(token).getFunction('mint')(to, amount)) as ContractTransactionResponse;
        return mined(tx, 'mint');
      }),
    transfer: (token, to, amount) =>
      serial(async () => {
        const tx = (await tokenAt(token).getFunction('transfer')(to, amount)) as ContractTransactionResponse;
        return mined(tx, 'transfer');
      }),
    mine: async (blocks = 1) => {
      if (!Number.isSafeInteger(blocks) || blocks < 1) throw new RangeError(`mine(): blocks must be a positive integer, got ${blocks}`);
      await provider.send('anvil_mine', [toQuantity(blocks)]);
    },
    stop,
  };
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exit = new Promise<void>((ok) => child.once('exit', () => ok()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  await exit;
  clearTimeout(timer);
}

function sleep(ms: number): Promise<void> {
  return new Promise((ok) => setTimeout(ok, ms));
}
