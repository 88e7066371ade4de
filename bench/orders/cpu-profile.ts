/**
 * `BENCH_PROFILE=1`: a CPU profile of the Vestline process under one extra load run, taken through the
 * inspector (Vestline is started with `--inspect=127.0.0.1:0` in NODE_OPTIONS in that mode; the URL is
 * in its log), and summed up as shares of the sampled time: by package or source directory, self and
 * inclusive (a share of the samples with that package anywhere on the stack), and the top functions by
 * self time. The profile itself is written next to the results for a closer look (Chrome DevTools).
 */
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** The inspector URL Node printed into the log (`Debugger listening on ws://…`). */
export function inspectorUrl(logFile: string): string {
  const m = /Debugger listening on (ws:\/\/\S+)/.exec(readFileSync(logFile, 'utf8'));
  if (!m) throw new Error(`no inspector URL in ${logFile}`);
  return m[1]!;
}

/** Profiles the process behind `wsUrl` while `during` runs. */
export async function profileDuring(wsUrl: string, during: () => Promise<unknown>, intervalUs = 200): Promise<CpuProfile> {
  const ws = new WebSocket(wsUrl);
  await new Promise<void>((ok, fail) => {
    ws.once('open', () => ok());
    ws.once('error', fail);
  });
  let next = 1;
  const pending = new Map<number, { ok: (v: unknown) => void; fail: (e: Error) => void }>();
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; error?: { message: string } };
    const p = msg.id === undefined ? undefined : pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id!);
    if (msg.error) p.fail(new Error(msg.error.message));
    else p.ok(msg.result);
  });
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<unknown>((ok, fail) => {
      const id = next++;
      pending.set(id, { ok, fail });
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    await send('Profiler.enable');
    await send('Profiler.setSamplingInterval', { interval: intervalUs });
    await send('Profiler.start');
    await during();
    const { profile } = (await send('Profiler.stop')) as { profile: CpuProfile };
    await send('Profiler.disable');
    return profile;
  } finally {
    ws.close();
  }
}

/** Where a frame's code lives: a package, a directory of src/, Node itself, or a V8 pseudo-frame. */
function categoryOf(f: CallFrame): string {
  if (!f.url) return f.functionName.startsWith('(') ? f.functionName : '(native/V8)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f.url);
  if (pkg) return pkg[1]!;
  const src = /\/src\/(.+)\/[^/]+$/.exec(f.url);
  if (src) return `src/${src[1]}`;
  const srcFile = /\/src\/([^/]+)$/.exec(f.url);
  if (srcFile) return `src/${srcFile[1]}`;
  if (f.url.startsWith('node:')) return 'node: (built-in modules)';
  if (/\/bench\//.test(f.url)) return 'bench';
  return f.url.replace(/^file:\/\//, '');
}

const pct = (x: number, total: number) => `${((100 * x) / total).toFixed(1)} %`;

export function summarizeProfile(p: CpuProfile, topN = 20): string[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  for (let i = 0; i < p.samples.length; i++) self.set(p.samples[i]!, (self.get(p.samples[i]!) ?? 0) + (p.timeDeltas[i] ?? 0));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self].filter(([id]) => byId.get(id)?.callFrame.functionName === '(idle)').reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;

  const selfByCat = new Map<string, number>();
  const inclByCat = new Map<string, number>();
  const selfByFn = new Map<string, number>();
  for (const [id, t] of self) {
    const node = byId.get(id)!;
    if (node.callFrame.functionName === '(idle)') continue;
    const cat = categoryOf(node.callFrame);
    selfByCat.set(cat, (selfByCat.get(cat) ?? 0) + t);
    const fnKey = `${node.callFrame.functionName || '(anonymous)'} ${cat}${node.callFrame.url ? `:${node.callFrame.url.split('/').pop()}:${node.callFrame.lineNumber + 1}` : ''}`;
    selfByFn.set(fnKey, (selfByFn.get(fnKey) ?? 0) + t);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) seen.add(categoryOf(byId.get(cur)!.callFrame));
    for (const c of seen) inclByCat.set(c, (inclByCat.get(c) ?? 0) + t);
  }
  const lines = [
    `Sampled ${(total / 1e6).toFixed(1)} s, busy ${pct(busy, total)} (the rest idle); shares below are of the busy time.`,
    '',
    '| code | self | inclusive |',
    '|---|---:|---:|',
    ...[...selfByCat]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topN)
      .map(([c, t]) => `| ${c} | ${pct(t, busy)} | ${pct(inclByCat.get(c) ?? t, busy)} |`),
    '',
    '| function (self time) | self |',
    '|---|---:|',
    ...[...selfByFn]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topN)
      .map(([f, t]) => `| ${f.replace(/\|/g, '\\|')} | ${pct(t, busy)} |`),
  ];
  return lines;
}
