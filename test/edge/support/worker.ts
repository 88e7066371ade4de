/**
 * The edge worker in workerd through Miniflare's API: edge/src is bundled once per process with the
 * esbuild that wrangler itself ships (wrangler pins it), so tests run the same JavaScript `wrangler
 * deploy` would upload, with the compatibility date from edge/wrangler.toml.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type * as Esbuild from 'esbuild';
import { Miniflare, type MiniflareOptions } from 'miniflare';

const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const EDGE_DIR = join(root, 'edge');

const bundles = new Map<string, Promise<string>>();

/**
 * edge/src/index.ts as one ES module. Resolved through wrangler, so it is wrangler's own esbuild.
 * `replace` swaps a module of edge/src (by file name) for other source; only the benchmark uses it, to
 * take one part out of a measurement.
 */
export function bundleWorker(replace: Record<string, string> = {}): Promise<string> {
  const id = JSON.stringify(replace);
  let bundle = bundles.get(id);
  if (!bundle) {
    bundle = (async () => {
      const fromWrangler = createRequire(createRequire(import.meta.url).resolve('wrangler'));
      const esbuild = fromWrangler('esbuild') as typeof Esbuild;
      const swap: Esbuild.Plugin = {
        name: 'replace-modules',
        setup(build) {
          build.onLoad({ filter: /edge[\\/]src[\\/][\w-]+\.ts$/ }, (args) => {
            const contents = replace[args.path.split(/[\\/]/).pop()!];
            return contents === undefined ? undefined : { contents, loader: 'ts' };
          });
        },
      };
      const out = await esbuild.build({
        entryPoints: [join(EDGE_DIR, 'src/index.ts')],
        bundle: true,
        format: 'esm',
        platform: 'neutral',
        target: 'es2022',
        conditions: ['workerd', 'worker', 'browser'],
        write: false,
        logLevel: 'silent',
        plugins: [swap],
      });
      return out.outputFiles[0]!.text;
    })();
    bundles.set(id, bundle);
  }
  return bundle;
}

export async function compatibilityDate(): Promise<string> {
  const toml = await readFile(join(EDGE_DIR, 'wrangler.toml'), 'utf8');
  const m = /^compatibility_date\s*=\s*"([\d-]+)"/m.exec(toml);
  if (!m) throw new Error('edge/wrangler.toml has no compatibility_date');
  return m[1]!;
}

/** One structured line the worker wrote (edge/src/log.ts). */
export interface EdgeLogLine {
  msg: string;
  level: string;
  requestId: string;
  method: string;
  path: string;
  clientIp: string | null;
  decision: string;
  status: number;
  reason?: string;
  detail?: string;
  scheme?: string;
  originStatus?: number;
  replayStore?: string;
  ms: number;
}

export interface EdgeWorker {
  mf: Miniflare;
  /** workerd's own HTTP address (what `wrangler dev` would serve). */
  url: URL;
  /** Everything the runtime printed on stdout and stderr. */
  output: string[];
  request(path: string, init?: RequestInit & { ip?: string }): Promise<Response>;
  /** The log line of one request, by the x-request-id the worker answered with. */
  logFor(res: Response): Promise<EdgeLogLine>;
  /** The first log line matching `match`, waiting for stdout to catch up (for requests with no response to key on). */
  waitForLog(match: (line: EdgeLogLine) => boolean): Promise<EdgeLogLine>;
  dispose(): Promise<void>;
}

export interface EdgeOptions {
  vars: Record<string, string>;
  /** Bind a KV namespace as REPLAY_KV. */
  replayKv?: boolean;
  /** Bind Cloudflare's rate limiter as RATE_LIMITER. */
  rateLimit?: { limit: number; period: 10 | 60 };
  /** A bundle other than edge/src as it is (see bundleWorker's `replace`). */
  script?: string;
}

export async function startEdge(opts: EdgeOptions): Promise<EdgeWorker> {
  const output: string[] = [];
  let pending = '';
  const options: MiniflareOptions = {
    modules: true,
    script: opts.script ?? (await bundleWorker()),
    compatibilityDate: await compatibilityDate(),
    bindings: opts.vars,
    // Never the real Request.cf download (no network, and not the code under test).
    cf: false,
    ...(opts.replayKv ? { kvNamespaces: ['REPLAY_KV'] } : {}),
    ...(opts.rateLimit ? { ratelimits: { RATE_LIMITER: { namespace_id: '1001', simple: opts.rateLimit } } } : {}),
    handleRuntimeStdio(stdout: Readable, stderr: Readable) {
      const take = (chunk: Buffer) => {
        pending += chunk.toString('utf8');
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        output.push(...lines.filter(Boolean));
      };
      stdout.on('data', take);
      stderr.on('data', take);
    },
  };
  const mf = new Miniflare(options);
  const url = await mf.ready;

  const waitForLog = async (match: (line: EdgeLogLine) => boolean) => {
    // stdout reaches us a moment after the response does.
    for (let i = 0; i < 100; i++) {
      const found = output.filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as EdgeLogLine).find(match);
      if (found) return found;
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`no matching log line; output:\n${output.join('\n')}`);
  };
  const logFor = (res: Response) => {
    const id = res.headers.get('x-request-id');
    if (!id) throw new Error(`response ${res.status} carries no x-request-id`);
    return waitForLog((line) => line.requestId === id);
  };

  return {
    mf,
    url,
    output,
    async request(path, init = {}) {
      const { ip, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (ip !== undefined) headers.set('cf-connecting-ip', ip);
      // Through workerd's HTTP socket, as a real client would come in.
      return fetch(new URL(path, url), { ...rest, headers, ...(rest.body instanceof ReadableStream ? { duplex: 'half' } : {}) } as RequestInit);
    },
    logFor,
    waitForLog,
    dispose: () => mf.dispose(),
  };
}
