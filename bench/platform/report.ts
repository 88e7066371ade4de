/** The platform bench's markdown table (stdout) and JSON record (bench/results/). */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CheckResult } from './check.js';
import { runFailed, type RunResult } from './load.js';
import { REPO_ROOT } from './processes.js';
import type { RowSpec } from './rows.js';
import { SERVER_LABELS, type ServerKind } from './settings.js';

export interface ServerRowResult {
  server: ServerKind;
  runs: RunResult[];
}

export interface RowResult {
  row: RowSpec;
  check: CheckResult;
  servers: ServerRowResult[];
}

export interface Summary {
  reqPerSec: number;
  p50: number;
  p99: number;
  cpuMsPerReq: number;
  maxRssMiB: number;
  errors: number;
  non2xx: number;
  mismatches: number;
  failed: boolean;
}

export interface ReportHeader {
  date: string;
  command: string;
  machine: string;
  cpuModel: string;
  node: string;
  postgres: string;
  database: string;
  load: string;
  servers: string[];
  data: string[];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export function summarize(s: ServerRowResult): Summary {
  const sum = (f: (r: RunResult) => number) => s.runs.reduce((a, r) => a + f(r), 0);
  return {
    reqPerSec: median(s.runs.map((r) => r.reqPerSec)),
    p50: median(s.runs.map((r) => r.p50)),
    p99: median(s.runs.map((r) => r.p99)),
    cpuMsPerReq: median(s.runs.map((r) => r.cpuMsPerReq)),
    maxRssMiB: Math.max(...s.runs.map((r) => r.maxRssBytes)) / 2 ** 20,
    errors: sum((r) => r.errors),
    non2xx: sum((r) => r.non2xx),
    mismatches: sum((r) => r.mismatches),
    failed: s.runs.some(runFailed),
  };
}

const fmt = (n: number, digits = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }) : 'n/a');
const ratio = (a: number | undefined, b: number | undefined) => (a !== undefined && b !== undefined && b > 0 ? `${fmt(a / b, 2)}×` : '');

function summaries(r: RowResult): Map<ServerKind, Summary> {
  return new Map(r.servers.map((s) => [s.server, summarize(s)]));
}

/** "1M vs 1k" lines: the 1k row's req/s divided by the 1M row's, per server (target: within 1.5×). */
function scaleLines(results: RowResult[]): string[] {
  const lines: string[] = [];
  for (const big of results) {
    const small = results.find((r) => r.row.id === big.row.scaleOf);
    if (!small) continue;
    const b = summaries(big);
    const s = summaries(small);
    const parts = [...b.keys()].flatMap((k) => {
      const x = s.get(k);
      const y = b.get(k);
      if (!x || !y) return [];
      if (!(y.reqPerSec > 0)) return [`${SERVER_LABELS[k]}: nothing completed on the larger site${k === 'vestline' ? ' (NOT within 1.5×)' : ''}`];
      const slow = x.reqPerSec / y.reqPerSec;
      const verdict = k === 'vestline' ? (slow <= 1.5 ? ' (within 1.5×)' : ' (NOT within 1.5×)') : '';
      return [`${SERVER_LABELS[k]} ${fmt(slow, 2)}×${verdict}`];
    });
    const alone = (r: RowResult) => fmt(r.check.idleMs.vestline ?? NaN, 1);
    lines.push(
      `- ${big.row.id} vs ${small.row.id}, req/s of the smaller site ÷ req/s of the larger: ${parts.join('; ')}. Vestline, one request alone: ${alone(small)} ms vs ${alone(big)} ms`,
    );
  }
  return lines;
}

export function markdown(h: ReportHeader, results: RowResult[]): string {
  const lines = [
    `Date: ${h.date}`,
    `Command: ${h.command}`,
    `Machine: ${h.machine}`,
    `Runtime: Node ${h.node}, PostgreSQL ${h.postgres} (${h.database})`,
    `Load: ${h.load}`,
    ...h.servers.map((s) => `Server: ${s}`),
    ...h.data.map((d) => `Data: ${d}`),
    '',
    '| row | server | req/s | p50 ms | p99 ms | ÷ bare | ÷ Apollo | CPU ms/req | max RSS MiB | errors / non-2xx / wrong body | 1 req alone, ms |',
    '|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of results) {
    const sums = summaries(r);
    for (const s of r.servers) {
      const m = sums.get(s.server)!;
      const none = s.runs.every((x) => x.requests === 0);
      const status = `${m.errors} / ${m.non2xx} / ${m.mismatches}${none ? ' **FAILED: no request completed**' : m.failed ? ' **FAILED**' : ''}`;
      const latency = (v: number) => (none ? 'n/a' : fmt(v));
      lines.push(
        `| ${r.row.title} | ${SERVER_LABELS[s.server]} | ${fmt(m.reqPerSec)} | ${latency(m.p50)} | ${latency(m.p99)} | ${s.server === 'bare' ? '1.00×' : ratio(m.reqPerSec, sums.get('bare')?.reqPerSec)} | ${s.server === 'apollo' ? '1.00×' : ratio(m.reqPerSec, sums.get('apollo')?.reqPerSec)} | ${fmt(m.cpuMsPerReq, 3)} | ${fmt(m.maxRssMiB)} | ${status} | ${fmt(r.check.idleMs[s.server] ?? NaN, 1)} |`,
      );
    }
  }
  const scale = scaleLines(results);
  if (scale.length) lines.push('', 'Scale (median req/s):', ...scale);
  const notes = results.filter((r) => !r.check.byteIdentical).map((r) => `- ${r.row.id}: answers deep-equal but not byte-identical (${r.check.textNote}); bytes ${JSON.stringify(r.check.bytes)}`);
  lines.push('', notes.length ? 'Correctness check: all answers deep-equal.' : 'Correctness check: all answers deep-equal and byte-identical across the servers.', ...notes);
  return lines.join('\n');
}

export async function writeJson(h: ReportHeader, results: RowResult[], extra: Record<string, unknown>): Promise<string> {
  const dir = join(REPO_ROOT, 'bench', 'results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `platform-${h.date.replace(/[:.]/g, '-')}.json`);
  const rows = results.map((r) => {
    const sums = summaries(r);
    return {
      id: r.row.id,
      title: r.row.title,
      query: r.row.query,
      caller: r.row.caller,
      check: r.check,
      servers: r.servers.map((s) => {
        const m = sums.get(s.server)!;
        return {
          server: s.server,
          label: SERVER_LABELS[s.server],
          median: m,
          ratioToBare: sums.get('bare') ? m.reqPerSec / sums.get('bare')!.reqPerSec : null,
          ratioToApollo: sums.get('apollo') ? m.reqPerSec / sums.get('apollo')!.reqPerSec : null,
          runs: s.runs,
        };
      }),
    };
  });
  await writeFile(file, `${JSON.stringify({ ...h, ...extra, rows }, null, 2)}\n`);
  return file;
}
