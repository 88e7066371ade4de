import { readFileSync } from 'node:fs';
import { startTestApp, type TestApp } from '../../support/test-app.js';

/**
 * docs/grafana/vestline.json against the real /metrics: every metric a panel queries must be exported
 * (a renamed metric would otherwise leave a panel silently empty), with the labels the query uses.
 */

interface Target {
  refId?: string;
  expr?: string;
  datasource?: { type?: string; uid?: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type?: string; uid?: string };
  targets?: Target[];
  panels?: Panel[];
}
interface Dashboard {
  schemaVersion: number;
  __inputs: { name: string; type: string; pluginId: string }[];
  panels: Panel[];
}

const DASHBOARD_PATH = 'docs/grafana/vestline.json';
const DATASOURCE = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };
const GROUPS = ['Payouts today', 'Backlog', 'Custody API', 'Security'];
const METRICS_TOKEN = 'dashboard-metrics-token-0123456789';

/** Words that look like identifiers in PromQL but are not metric names (functions are recognised by their `(`). */
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless', 'inf', 'nan']);

interface Selector {
  name: string;
  /** Label names used in the selector's `{…}`. */
  labels: string[];
}
interface Parsed {
  selectors: Selector[];
  /** Label names in by / without / on / ignoring / group_left / group_right clauses. */
  grouping: string[];
}

/** The metric selectors of a PromQL expression (Grafana variables such as `$__range` allowed). */
function parsePromql(expr: string): Parsed {
  const grouping: string[] = [];
  const s = expr
    // String literals (label values, regexes) cannot hold names; keep them as empty strings.
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    // Range and subquery selectors: durations and Grafana variables.
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g, (_m, _kw: string, labels: string) => {
      grouping.push(...labels.split(',').map((l) => l.trim()).filter(Boolean));
      return ' ';
    });
  const selectors: Selector[] = [];
  // A name with its optional matchers, or bare matchers; names glued to digits, dots or `$` are not names.
  const token = /(?<![A-Za-z0-9_:.$])([A-Za-z_:][A-Za-z0-9_:]*)\s*(\{[^}]*\})?|(\{[^}]*\})/g;
  for (let m = token.exec(s); m; m = token.exec(s)) {
    if (m[3]) throw new Error(`selector without a metric name in ${expr}`);
    const name = m[1]!;
    if (!m[2] && /^\s*\(/.test(s.slice(token.lastIndex))) continue; // a function call
    if (KEYWORDS.has(name.toLowerCase())) continue;
    const labels = (m[2] ?? '{}')
      .slice(1, -1)
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean)
      .map((p) => {
        const key = /^([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*""$/.exec(p)?.[1];
        if (!key) throw new Error(`unreadable label matcher "${p}" in ${expr}`);
        return key;
      });
    if (labels.includes('__name__')) throw new Error(`__name__ matchers are not checked: ${expr}`);
    selectors.push({ name, labels });
  }
  return { selectors, grouping };
}

/** `# TYPE` lines of a Prometheus text exposition: name to type. */
function exportedTypes(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(m[1]!, m[2]!);
  return types;
}

/** The exported metric a queried series belongs to (histogram and summary series by their base name), or null. */
function resolve(name: string, types: Map<string, string>): { metric: string; bucket: boolean } | null {
  if (types.has(name)) return { metric: name, bucket: false };
  const m = /^(.+)_(bucket|sum|count)$/.exec(name);
  if (!m) return null;
  const type = types.get(m[1]!);
  if (type === 'histogram') return { metric: m[1]!, bucket: m[2] === 'bucket' };
  if (type === 'summary' && m[2] !== 'bucket') return { metric: m[1]!, bucket: false };
  return null;
}

const dashboard = JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as Dashboard;
const flat = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
const queryPanels = flat.filter((p) => p.type !== 'row');
const targets = queryPanels.flatMap((p) => (p.targets ?? []).map((target) => ({ panel: p.title, target })));

/** Panels under each row, in order (a collapsed row holds its panels; an open one is followed by them). */
function groups(): Map<string, Panel[]> {
  const out = new Map<string, Panel[]>();
  let current: Panel[] | null = null;
  for (const p of dashboard.panels) {
    if (p.type === 'row') {
      current = [...(p.panels ?? [])];
      out.set(p.title, current);
    } else {
      if (!current) throw new Error(`panel "${p.title}" is above the first row`);
      current.push(p);
    }
  }
  return out;
}

describe('PromQL metric extraction (self-check)', () => {
  it('finds every metric name and its labels, and skips functions, keywords, variables and strings', () => {
    const parsed = parsePromql(
      'histogram_quantile(0.95, sum by (le, operation) (rate(vestline_fake_seconds_bucket{outcome=~"ok|refused", operation!="x,y"}[$__rate_interval] offset 1h))) ' +
        '/ on (operation) group_left () (sum without (instance) (increase(vestline_other_total[$__range])) or vector(0)) > bool 2e3',
    );
    expect(parsed.selectors).toEqual([
      { name: 'vestline_fake_seconds_bucket', labels: ['outcome', 'operation'] },
      { name: 'vestline_other_total', labels: [] },
    ]);
    expect(parsed.grouping).toEqual(['le', 'operation', 'operation', 'instance']);
    expect(parsePromql('max(vestline_releases_processing_stuck)').selectors).toEqual([{ name: 'vestline_releases_processing_stuck', labels: [] }]);
    expect(() => parsePromql('sum({outcome="x"})')).toThrow(/without a metric name/);
  });

  it('refuses names /metrics does not export, and suffixes a metric type does not have', () => {
    const types = new Map([
      ['vestline_payouts_submitted_total', 'counter'],
      ['vestline_custody_request_duration_seconds', 'histogram'],
    ]);
    expect(resolve('vestline_payouts_submitted_total', types)).toEqual({ metric: 'vestline_payouts_submitted_total', bucket: false });
    expect(resolve('vestline_custody_request_duration_seconds_bucket', types)).toEqual({ metric: 'vestline_custody_request_duration_seconds', bucket: true });
    expect(resolve('vestline_custody_request_duration_seconds_count', types)).toEqual({ metric: 'vestline_custody_request_duration_seconds', bucket: false });
    expect(resolve('vestline_payouts_submited_total', types)).toBeNull();
    expect(resolve('vestline_payouts_submitted_total_bucket', types)).toBeNull();
    expect(resolve('vestline_custody_request_duration_bucket', types)).toBeNull();
  });
});

describe('Grafana dashboard docs/grafana/vestline.json', () => {
  it('is an importable dashboard with a ${DS_PROMETHEUS} input used by every panel and target', () => {
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.__inputs).toEqual([expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', pluginId: 'prometheus' })]);
    const ids = flat.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of flat) {
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      if (p.type === 'row') continue;
      expect(['stat', 'timeseries']).toContain(p.type);
      expect(p.datasource).toEqual(DATASOURCE);
      expect(p.targets?.length).toBeGreaterThan(0);
      const refIds = p.targets!.map((t) => t.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
    }
    for (const { target } of targets) expect(target.datasource).toEqual(DATASOURCE);
  });

  it('has the four groups operators asked for, each with panels on its subject', () => {
    const g = groups();
    expect([...g.keys()]).toEqual(GROUPS);
    const metricsOf = (title: string) => new Set(g.get(title)!.flatMap((p) => (p.targets ?? []).flatMap((t) => parsePromql(t.expr ?? '').selectors.map((s) => s.name))));
    const exprsOf = (title: string) => g.get(title)!.flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ''));
    for (const title of GROUPS) expect(g.get(title)!.length).toBeGreaterThan(0);
    expect([...metricsOf('Payouts today')]).toEqual(expect.arrayContaining(['vestline_payouts_submitted_total', 'vestline_payouts_failed_total', 'vestline_custody_webhooks_total']));
    expect(exprsOf('Payouts today').some((e) => /outcome="released"/.test(e) && /outcome=~"released\|failed"/.test(e))).toBe(true);
    expect([...metricsOf('Backlog')]).toEqual(expect.arrayContaining(['vestline_releases_processing_stuck', 'vestline_releases_unlocked_pending']));
    expect(g.get('Backlog')!.some((p) => p.type === 'timeseries')).toBe(true);
    expect([...metricsOf('Custody API')]).toEqual(expect.arrayContaining(['vestline_custody_request_duration_seconds_bucket', 'vestline_custody_retries_total']));
    expect(exprsOf('Custody API').filter((e) => e.startsWith('histogram_quantile(')).length).toBe(3);
    expect(exprsOf('Custody API').some((e) => e.includes('outcome="unavailable"'))).toBe(true);
    expect([...metricsOf('Security')]).toEqual(expect.arrayContaining(['vestline_custody_webhooks_total', 'vestline_edge_refusals_total']));
    expect(exprsOf('Security').some((e) => e.includes('outcome="duplicate"'))).toBe(true);
    expect(exprsOf('Security').some((e) => e.includes('outcome="rejected"') && /by \(reason\)/.test(e))).toBe(true);
  });

  it('has a non-empty expr in every target', () => {
    expect(targets.length).toBeGreaterThan(10);
    for (const { panel, target } of targets) {
      expect({ panel, expr: target.expr?.trim() || null }).toEqual({ panel, expr: expect.any(String) });
    }
  });

  describe('against the running app', () => {
    let t: TestApp;
    let types: Map<string, string>;
    let text: string;
    beforeAll(async () => {
      t = await startTestApp({ METRICS_TOKEN });
      const res = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(res.status).toBe(200);
      text = await res.text();
      types = exportedTypes(text);
    });
    afterAll(() => t?.stop());

    it('exports every metric the dashboard queries, with the labels the queries use', () => {
      expect(types.size).toBeGreaterThan(10);
      const problems: string[] = [];
      const queried = new Set<string>();
      for (const { panel, target } of targets) {
        const { selectors, grouping } = parsePromql(target.expr!);
        if (!selectors.length) problems.push(`${panel}: no metric in ${target.expr}`);
        const known = new Set<string>();
        for (const s of selectors) {
          const r = resolve(s.name, types);
          if (!r) {
            problems.push(`${panel}: ${s.name} is not exported by /metrics`);
            continue;
          }
          queried.add(r.metric);
          expect(text).toContain(`# HELP ${r.metric} `);
          const metric = t.app.deps.metrics.registry.getSingleMetric(r.metric);
          // prom-client keeps the declared label names on the metric object (not in its public types).
          const declared = (metric as unknown as { labelNames?: readonly string[] } | undefined)?.labelNames;
          if (!Array.isArray(declared)) {
            problems.push(`${panel}: no label names for ${r.metric}`);
            continue;
          }
          const allowed = new Set([...declared, ...(r.bucket ? ['le'] : [])]);
          for (const l of s.labels) if (!allowed.has(l)) problems.push(`${panel}: ${r.metric} has no label ${l}`);
          for (const l of allowed) known.add(l);
        }
        for (const l of grouping) if (!known.has(l)) problems.push(`${panel}: groups by ${l}, a label none of its metrics has`);
      }
      expect(problems).toEqual([]);
      expect([...queried].sort()).toEqual([
        'vestline_custody_request_duration_seconds',
        'vestline_custody_retries_total',
        'vestline_custody_webhooks_total',
        'vestline_edge_refusals_total',
        'vestline_payouts_failed_total',
        'vestline_payouts_submitted_total',
        'vestline_releases_processing_stuck',
        'vestline_releases_unlocked_pending',
      ]);
    });

    it('would notice a panel querying a metric that does not exist', () => {
      const fake = parsePromql('sum(increase(vestline_payouts_submited_total{reason="refused"}[$__range]))').selectors;
      expect(fake.map((s) => s.name)).toEqual(['vestline_payouts_submited_total']);
      expect(resolve(fake[0]!.name, types)).toBeNull();
      expect(text).not.toContain('# TYPE vestline_payouts_submited_total ');
      expect(resolve('vestline_payouts_submitted_total', types)).not.toBeNull();
    });
  });
});
