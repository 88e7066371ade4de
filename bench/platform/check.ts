/**
 * Correctness before load: each server answers the row's request once with 200 and `data` without
 * `errors`, the three answers are deep-equal, and the answer holds what the seed put there. The exact
 * text then becomes autocannon's `expectBody` for that server.
 */
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import type { Target } from './load.js';
import type { RowSpec } from './rows.js';
import type { ServerKind } from './settings.js';

export interface CheckResult {
  /** Bytes of each server's answer. */
  bytes: Partial<Record<ServerKind, number>>;
  /** Median time of 3 requests one at a time, no other load (ms), after the first (checked) one. */
  idleMs: Partial<Record<ServerKind, number>>;
  /** Whether all answers are the same bytes (they are deep-equal, or the check failed). */
  byteIdentical: boolean;
  /** Where the texts differ when they are deep-equal but not byte-identical (field order, whitespace). */
  textNote: string | null;
}

const IDLE_REQUESTS = 3;

interface GqlBody {
  data?: Record<string, unknown> | null;
  errors?: unknown[];
}

async function ask(t: Target): Promise<{ text: string; data: Record<string, unknown> }> {
  const res = await fetch(t.url, { method: 'POST', headers: { 'content-type': 'application/json', ...t.headers }, body: t.body });
  const text = await res.text();
  let parsed: GqlBody;
  try {
    parsed = JSON.parse(text) as GqlBody;
  } catch {
    throw new Error(`${t.server}: answer is not JSON (${res.status}): ${text.slice(0, 300)}`);
  }
  if (res.status !== 200 || parsed.errors || !parsed.data) throw new Error(`${t.server}: bad answer ${res.status}: ${text.slice(0, 500)}`);
  return { text, data: parsed.data };
}

function firstDifference(a: unknown, b: unknown, path = 'data'): string {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return `${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
  for (const k of keys) {
    const x = (a as Record<string, unknown>)[k];
    const y = (b as Record<string, unknown>)[k];
    if (!isDeepStrictEqual(x, y)) return firstDifference(x, y, Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`);
  }
  return `${path}: differs`;
}

function checkShape(row: RowSpec, data: Record<string, unknown>): void {
  const e = row.expect;
  if (e.list === 'me') {
    if (!data.me) throw new Error(`${row.id}: me is null`);
    return;
  }
  if (e.list === 'sites') {
    const n = (data.sites as unknown[] | undefined)?.length;
    if (n !== e.length) throw new Error(`${row.id}: expected ${e.length} sites, got ${n}`);
    return;
  }
  const conn = data[e.list] as { edges?: unknown[]; pageInfo?: { hasNextPage?: boolean } } | undefined;
  if (conn?.edges?.length !== e.length || conn.pageInfo?.hasNextPage !== e.hasNextPage) {
    throw new Error(`${row.id}: expected ${e.length} edges and hasNextPage ${e.hasNextPage}, got ${conn?.edges?.length} and ${conn?.pageInfo?.hasNextPage}`);
  }
}

/** Checks one row on every target (Vestline first: it is the reference the others must match). */
export async function checkRow(row: RowSpec, targets: Target[]): Promise<CheckResult> {
  const answers = new Map<ServerKind, { text: string; data: Record<string, unknown> }>();
  const idleMs: CheckResult['idleMs'] = {};
  for (const t of targets) {
    const a = await ask(t);
    t.expectBody = a.text;
    answers.set(t.server, a);
    const times: number[] = [];
    for (let i = 0; i < IDLE_REQUESTS; i++) {
      const t0 = performance.now();
      const again = await ask(t);
      times.push(performance.now() - t0);
      if (again.text !== a.text) throw new Error(`${row.id}: ${t.server} answers differently from one request to the next`);
    }
    idleMs[t.server] = times.sort((x, y) => x - y)[Math.floor(times.length / 2)]!;
  }
  const vestline = answers.get('vestline')!;
  checkShape(row, vestline.data);
  for (const [server, a] of answers) {
    if (server === 'vestline') continue;
    if (!isDeepStrictEqual(a.data, vestline.data)) {
      throw new Error(`${row.id}: ${server} and Vestline answer differently; first difference at ${firstDifference(a.data, vestline.data)}`);
    }
  }
  const texts = [...answers.values()].map((a) => a.text);
  const byteIdentical = texts.every((t) => t === texts[0]);
  let textNote: string | null = null;
  if (!byteIdentical) {
    const canonical = [...answers.values()].map((a) => JSON.stringify(JSON.parse(a.text)));
    textNote = canonical.every((c) => c === canonical[0]) ? 'same JSON, different whitespace' : 'same values, different field order';
  }
  return { idleMs, bytes: Object.fromEntries([...answers].map(([k, a]) => [k, Buffer.byteLength(a.text)])), byteIdentical, textNote };
}
