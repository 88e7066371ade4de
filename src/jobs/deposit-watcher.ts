import pg from 'pg';
import type { Deps } from '../deps.js';
import { Network } from '../entities/enums.js';
import { evmTransferSource, type EvmTransferSource } from '../services/chain/evm-transfer-source.js';
import { tronTransferSource } from '../services/chain/tron-transfer-source.js';
import { scanEthereum } from '../services/deposits/scan-ethereum.js';
import { eventful, type ScanReport } from '../services/deposits/scan-report.js';
import { scanTron } from '../services/deposits/scan-tron.js';

/** After a failed pass: 1 s, 2 s, 4 s … up to a minute, whatever the poll interval. */
const FIRST_RETRY_MS = 1000;
const MAX_BACKOFF_MS = 60_000;

export interface DepositWatchers {
  /** Networks this process watches (it may be waiting for another worker's lock). */
  networks: Network[];
  stop(): Promise<void>;
}

interface Watcher {
  network: Network;
  /** One pass; must finish by `deadline` (ms since epoch) or soon after. */
  pass(signal: AbortSignal, deadline: number): Promise<ScanReport>;
  /** Calls `wake` when the chain has news (a new head), or returns null when it cannot tell. */
  subscribe(wake: () => void): (() => void) | null;
  /** After a failed pass: drop connections that may be dead (a closed WebSocket never recovers). */
  reset(): void;
  close(): void;
}

/**
 * The Ethereum watcher over one EvmTransferSource, made anew after a failed pass: a WebSocket source
 * is finished once its socket closes, and a fresh one reconnects (and subscribes to heads again).
 */
function ethereumWatcher(deps: Deps, rpcUrl: string): Watcher {
  const { config } = deps;
  const open = () => evmTransferSource(rpcUrl, { timeoutMs: config.CHAIN_READ_TIMEOUT_MS });
  let source: EvmTransferSource = open();
  let wakeUp: (() => void) | undefined;
  let unsubscribe: (() => void) | null = null;
  return {
    network: Network.ETHEREUM,
    pass: (signal, deadline) => scanEthereum(deps, source, { chunkBlocks: config.ETH_LOG_CHUNK_BLOCKS, firstScanBlocks: config.ETH_FIRST_SCAN_BLOCKS, deadline }, signal),
    subscribe(wake) {
      wakeUp = wake;
      // A closed socket wakes the loop too: its pass fails at once and reset() reconnects.
      source.onGone(() => wakeUp?.());
      unsubscribe = source.onNewHead(() => wake());
      return () => {
        wakeUp = undefined;
        unsubscribe?.();
      };
    },
    reset() {
      unsubscribe?.();
      const old = source;
      source = open();
      old.destroy();
      source.onGone(() => wakeUp?.());
      unsubscribe = wakeUp ? source.onNewHead(wakeUp) : null;
    },
    close: () => source.destroy(),
  };
}

/**
 * The deposit watchers of the worker role: a long-running loop per network rather than an Agenda job,
 * because detection latency is the point (a pass every DEPOSIT_POLL_INTERVAL_MS, and at once on a new
 * Ethereum head over WebSocket; Agenda's polling alone adds up to AGENDA_PROCESS_EVERY_MS). Exactly
 * one process watches a network: each loop runs only while it holds a session-level PostgreSQL
 * advisory lock on its own connection, so a crashed worker's lock goes with its connection and another
 * worker takes over on its next try.
 */
export function startDepositWatchers(deps: Deps, databaseUrl: string): DepositWatchers {
  const { config, logger } = deps;
  const watchers: Watcher[] = [];
  if (config.ETH_RPC_URL) watchers.push(ethereumWatcher(deps, config.ETH_RPC_URL));
  const tron = tronTransferSource(config.TRON_API_URL, { apiKey: config.TRON_API_KEY });
  watchers.push({
    network: Network.TRON,
    pass: (signal, deadline) => scanTron(deps, tron, { deadline }, signal),
    subscribe: () => null,
    reset: () => undefined,
    close: () => undefined,
  });

  const loops = watchers.map((w) => runLoop(w, deps, databaseUrl));
  logger.info({ networks: watchers.map((w) => w.network), intervalMs: config.DEPOSIT_POLL_INTERVAL_MS }, 'deposit watchers started');
  return {
    networks: watchers.map((w) => w.network),
    async stop() {
      await Promise.all(loops.map((l) => l.stop()));
      for (const w of watchers) w.close();
    },
  };
}

function runLoop(w: Watcher, deps: Deps, databaseUrl: string): { stop(): Promise<void> } {
  const { config } = deps;
  const log = deps.logger.child({ watcher: w.network });
  const lockKey = `vestline.deposit-watcher.${w.network}`;
  const abort = new AbortController();
  let lock: pg.Client | undefined;
  let failures = 0;
  let wakeNow: (() => void) | undefined;
  let woken = false;
  const wake = () => {
    woken = true;
    wakeNow?.();
  };
  const unsubscribe = w.subscribe(wake);
  const record = (r: ScanReport) => {
    const { depositHead, depositPasses, depositTransfers } = deps.metrics;
    depositPasses.inc({ network: w.network, outcome: 'ok' });
    if (r.head !== null) depositHead.set({ network: w.network }, r.head);
    for (const outcome of ['credited', 'late', 'revived', 'reorged'] as const) if (r[outcome]) depositTransfers.inc({ network: w.network, outcome }, r[outcome]);
  };

  // A new head cuts the wait short, except while backing off from failures.
  const sleep = (ms: number, wakeable: boolean) =>
    new Promise<void>((resolve) => {
      if ((wakeable && woken) || abort.signal.aborted) return resolve();
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakeNow = undefined;
        resolve();
      }
      if (wakeable) wakeNow = done;
      abort.signal.addEventListener('abort', done, { once: true });
    });

  /** Holds (or takes) the network's advisory lock; false while another worker has it. */
  const holdLock = async (): Promise<boolean> => {
    if (lock) return true;
    const client = new pg.Client({ connectionString: databaseUrl });
    client.on('error', () => undefined); // noticed through 'end'
    await client.connect();
    const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock(hashtext($1)) as ok', [lockKey]);
    if (!rows[0]?.ok) {
      await client.end().catch(() => undefined);
      return false;
    }
    client.on('end', () => {
      if (lock === client && !abort.signal.aborted) log.warn('deposit watcher lost its lock connection; will take the lock again');
      if (lock === client) lock = undefined;
    });
    lock = client;
    log.info('deposit watcher holds its lock: watching');
    return true;
  };

  const loop = (async () => {
    while (!abort.signal.aborted) {
      woken = false;
      let delay = config.DEPOSIT_POLL_INTERVAL_MS;
      try {
        if (await holdLock()) {
          const report = await w.pass(abort.signal, Date.now() + 4 * config.DEPOSIT_POLL_INTERVAL_MS + 10_000);
          record(report);
          if (failures) log.info({ failures }, 'deposit watcher recovered');
          failures = 0;
          if (eventful(report)) log.info(report, 'deposits scanned');
        }
      } catch (err) {
        if (abort.signal.aborted) break;
        failures++;
        w.reset();
        deps.metrics.depositPasses.inc({ network: w.network, outcome: 'failed' });
        delay = Math.min(FIRST_RETRY_MS * 2 ** (failures - 1), MAX_BACKOFF_MS);
        // Once per failure streak at warn, then quieter: a dead RPC must not flood the log.
        (failures === 1 ? log.warn.bind(log) : log.debug.bind(log))({ err, failures, retryInMs: delay }, 'deposit watcher pass failed; the next pass resumes from the stored cursor');
      }
      await sleep(delay, failures === 0);
    }
  })();

  return {
    async stop() {
      abort.abort();
      unsubscribe?.();
      await loop;
      await lock?.end().catch(() => undefined);
      lock = undefined;
    },
  };
}
