/**
 * Per-site isolation of raw SQL (docs: ../shared/spec/domain.md, "Per-site isolation").
 *
 *   node --import @swc-node/register/esm-register scripts/check-raw-sql.ts          fails on a bad statement
 *   node --import @swc-node/register/esm-register scripts/check-raw-sql.ts --list   also lists every raw statement
 *   ... --strict   warnings (site_id only in a join / select list, or only in a conditional part) fail too
 *
 * Every raw statement in src/ (`.execute(…)`, `.query(…)`, `.rows(…)`, `raw(…)`, `sql(…)`, sql`…` / raw`…` tagged
 * templates) that touches a site-owned table must carry `site_id` in its SQL text, or have a line
 * comment `// all-sites: <why>` directly above it (or above the SQL string inside the call): job
 * statements that work across every site on purpose. Site-owned tables come from src/entities: every
 * entity with @SiteScoped() or a `site` ManyToOne, named by @Entity({ tableName }). A statement whose
 * table is interpolated (`update ${table} …`, `from (${subquery})`) counts as site-owned; one whose SQL
 * cannot be read statically (`em.execute(someVariable)`) fails unless it is marked. A subquery a
 * MikroORM query builder wrote (`const { sql } = qb.toQuery()`) carries the ORM's filters and passes.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

export interface EntityTable {
  entity: string;
  table: string;
  siteOwned: boolean;
}

/**
 * no-site-table: touches no site-owned table. orm-query: its only table is SQL a MikroORM query builder
 * wrote (`const { sql } = qb.toQuery()`), which carries the ORM's filters, the site filter included.
 */
export type StatementStatus = 'no-site-table' | 'orm-query' | 'site-condition' | 'all-sites' | 'fail';

export interface RawStatement {
  file: string;
  line: number;
  /** How it was found: `execute`, `query`, `raw`, `sql` (a call), `sql\`\`` (a tagged template). */
  kind: string;
  /** The SQL text as far as it can be read; interpolations that cannot be resolved read `${…}`. */
  sql: string | null;
  /** Every table the statement names after from/join/update/into/using/truncate. */
  tables: string[];
  /** Of those, the site-owned ones; `${dynamic}` when a table name is interpolated. */
  siteTables: string[];
  hasSiteId: boolean;
  /** `site_id` compared with a parameter (`site_id = ?`, `= any(?)`) or set by an INSERT column list. */
  hasSiteCondition: boolean;
  /** The reason given by an `// all-sites:` comment, when there is one. */
  allSites: string | null;
  status: StatementStatus;
  /** Why it fails, or what looks weak while it passes. */
  problem?: string;
  warning?: string;
}

const DYN = '__dyn__';
const DYNAMIC_TABLE = '${dynamic}';
const ORM = '__orm__';
const ORM_QUERY = '${orm-query}';
/** Query-builder methods whose result is SQL the ORM wrote (with its filters). */
const ORM_SQL_METHODS = new Set(['toQuery', 'getQuery', 'getFormattedQuery', 'getKnexQuery']);
const COND_OPEN = '\u0001';
const COND_CLOSE = '\u0002';

// ---------------------------------------------------------------------------------------------------
// Site-owned tables, from the entity sources

function decoratorsOf(node: ts.Node): readonly ts.Decorator[] {
  return (ts.canHaveDecorators(node) ? ts.getDecorators(node) : undefined) ?? [];
}

function decoratorCall(d: ts.Decorator): { name: string; args: readonly ts.Expression[] } | null {
  const e = d.expression;
  if (ts.isCallExpression(e)) {
    const callee = e.expression;
    const name = ts.isIdentifier(callee) ? callee.text : ts.isPropertyAccessExpression(callee) ? callee.name.text : null;
    return name ? { name, args: e.arguments } : null;
  }
  if (ts.isIdentifier(e)) return { name: e.text, args: [] };
  return null;
}

function objectProp(obj: ts.Expression | undefined, key: string): ts.Expression | undefined {
  if (!obj || !ts.isObjectLiteralExpression(obj)) return undefined;
  for (const p of obj.properties) {
    if (ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === key) return p.initializer;
  }
  return undefined;
}

/** MikroORM's default (UnderscoreNamingStrategy) table name of an entity class. */
function underscore(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([A-Z])([A-Z][a-z])/g, '$1_$2').toLowerCase();
}

/** The tables the entity classes of one source file map to, and whether each belongs to a site. */
export function entityTables(sourceText: string, fileName = 'entity.ts'): EntityTable[] {
  const sf = ts.createSourceFile(fileName, sourceText, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: EntityTable[] = [];
  for (const stmt of sf.statements) {
    if (!ts.isClassDeclaration(stmt) || !stmt.name) continue;
    const decorators = decoratorsOf(stmt).map(decoratorCall).filter((d) => d !== null);
    const entity = decorators.find((d) => d.name === 'Entity');
    if (!entity) continue;
    const tableName = objectProp(entity.args[0], 'tableName') ?? objectProp(entity.args[0], 'collection');
    const table = tableName && ts.isStringLiteralLike(tableName) ? tableName.text : underscore(stmt.name.text);
    let siteOwned = decorators.some((d) => d.name === 'SiteScoped');
    for (const member of stmt.members) {
      if (!ts.isPropertyDeclaration(member)) continue;
      for (const d of decoratorsOf(member).map(decoratorCall)) {
        if (d?.name !== 'ManyToOne' && d?.name !== 'OneToOne') continue;
        const target = d.args[0];
        const targetName = target && ts.isArrowFunction(target) && ts.isIdentifier(target.body) ? target.body.text : null;
        if ((ts.isIdentifier(member.name) && member.name.text === 'site') || targetName === 'Site') siteOwned = true;
      }
    }
    out.push({ entity: stmt.name.text, table, siteOwned });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// SQL text of an expression

interface Rendered {
  /** With COND_OPEN/COND_CLOSE around the parts that are only sometimes there. */
  text: string;
  /** Some interpolation could not be read (it reads DYN). */
  partial: boolean;
}

/** The initializer of the const an identifier names (`destructured`: it is taken from that value). */
function constInitializer(id: ts.Identifier, sf: ts.SourceFile): { init: ts.Expression; destructured: boolean } | undefined {
  let found: { init: ts.Expression; destructured: boolean } | undefined;
  const isConst = (d: ts.VariableDeclaration) => ts.isVariableDeclarationList(d.parent) && (d.parent.flags & ts.NodeFlags.Const) !== 0;
  const visit = (n: ts.Node): void => {
    if (found) return;
    if (ts.isVariableDeclaration(n) && n.initializer && isConst(n)) {
      if (ts.isIdentifier(n.name) && n.name.text === id.text) {
        found = { init: n.initializer, destructured: false };
        return;
      }
      if (ts.isObjectBindingPattern(n.name) && n.name.elements.some((e) => ts.isIdentifier(e.name) && e.name.text === id.text)) {
        found = { init: n.initializer, destructured: true };
        return;
      }
    }
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

/** `qb.toQuery()` and the like (awaited or not): SQL written by the ORM. */
function ormSql(expr: ts.Expression): boolean {
  while (ts.isAwaitExpression(expr) || ts.isParenthesizedExpression(expr) || ts.isAsExpression(expr) || ts.isNonNullExpression(expr)) expr = expr.expression;
  if (ts.isPropertyAccessExpression(expr) && expr.name.text === 'sql') return ormSql(expr.expression);
  return ts.isCallExpression(expr) && ts.isPropertyAccessExpression(expr.expression) && ORM_SQL_METHODS.has(expr.expression.name.text);
}

function render(expr: ts.Expression, sf: ts.SourceFile, depth = 0): Rendered | null {
  if (depth > 8) return null;
  const r = (e: ts.Expression) => render(e, sf, depth + 1);
  const inline = (e: ts.Expression): Rendered => r(e) ?? { text: ` ${DYN} `, partial: true };
  const cond = (x: Rendered): Rendered => ({ text: COND_OPEN + x.text + COND_CLOSE, partial: x.partial });
  if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr)) return { text: expr.text, partial: false };
  if (ts.isTemplateExpression(expr)) {
    let text = expr.head.text;
    let partial = false;
    for (const span of expr.templateSpans) {
      const part = inline(span.expression);
      text += part.text + span.literal.text;
      partial ||= part.partial;
    }
    return { text, partial };
  }
  if (ts.isParenthesizedExpression(expr) || ts.isAsExpression(expr) || ts.isNonNullExpression(expr) || ts.isSatisfiesExpression(expr) || ts.isTypeAssertionExpression(expr)) {
    return r(expr.expression);
  }
  if (ts.isConditionalExpression(expr)) {
    const a = inline(expr.whenTrue);
    const b = inline(expr.whenFalse);
    return cond({ text: `${a.text} ${b.text}`, partial: a.partial || b.partial });
  }
  if (ts.isBinaryExpression(expr)) {
    const op = expr.operatorToken.kind;
    if (op === ts.SyntaxKind.PlusToken) {
      const a = inline(expr.left);
      const b = inline(expr.right);
      return { text: a.text + b.text, partial: a.partial || b.partial };
    }
    if (op === ts.SyntaxKind.AmpersandAmpersandToken) return cond(inline(expr.right));
    if (op === ts.SyntaxKind.BarBarToken || op === ts.SyntaxKind.QuestionQuestionToken) {
      const a = inline(expr.left);
      const b = inline(expr.right);
      return cond({ text: `${a.text} ${b.text}`, partial: a.partial || b.partial });
    }
    return null;
  }
  if (ts.isIdentifier(expr)) {
    const c = constInitializer(expr, sf);
    if (!c) return null;
    if (ormSql(c.init)) return { text: ` ${ORM} `, partial: false };
    return c.destructured ? null : r(c.init);
  }
  return null;
}

/** Whether an expression could be a piece of SQL text at all (objects, functions, numbers cannot). */
function stringish(expr: ts.Expression): boolean {
  return !(
    ts.isObjectLiteralExpression(expr) ||
    ts.isArrayLiteralExpression(expr) ||
    ts.isArrowFunction(expr) ||
    ts.isFunctionExpression(expr) ||
    ts.isNumericLiteral(expr) ||
    expr.kind === ts.SyntaxKind.TrueKeyword ||
    expr.kind === ts.SyntaxKind.FalseKeyword ||
    expr.kind === ts.SyntaxKind.NullKeyword ||
    ts.isClassExpression(expr)
  );
}

// ---------------------------------------------------------------------------------------------------
// Reading the SQL

/** SQL without comments and string literals, lower-cased; markers kept. */
function scrub(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/'(?:[^']|'')*'/g, "''")
    .toLowerCase();
}

function withoutConditional(text: string): string {
  let out = '';
  let depth = 0;
  for (const ch of text) {
    if (ch === COND_OPEN) depth++;
    else if (ch === COND_CLOSE) depth--;
    else if (depth === 0) out += ch;
  }
  return out;
}

const plain = (text: string) => text.split(COND_OPEN).join('').split(COND_CLOSE).join('');

const STOP = new Set([
  'where', 'join', 'left', 'right', 'inner', 'outer', 'full', 'cross', 'natural', 'on', 'group', 'order', 'limit', 'offset',
  'returning', 'set', 'union', 'intersect', 'except', 'for', 'having', 'window', 'values', 'select', 'using', 'default', 'do',
]);

/** Words before a parenthesis that do not make it a function call. */
const NOT_CALL = new Set(['in', 'exists', 'as', 'from', 'join', 'lateral', 'values', 'using', 'on', 'and', 'or', 'not', 'where', 'select', 'with', 'returning', 'set', 'then', 'else', 'when', 'into', 'update', 'conflict', 'by']);

/** Table names after from/join/update/into/using/truncate, including comma lists in FROM and USING. */
export function tablesIn(sqlText: string): string[] {
  const tokens = scrub(plain(sqlText)).match(/"[^"]*"|[a-z_][a-z0-9_$]*|::|[(),.;]|\?|\$\d+|\S/g) ?? [];
  const tables = new Set<string>();
  const ident = (t: string | undefined) => !!t && /^(?:"[^"]*"|[a-z_][a-z0-9_$]*)$/.test(t);
  const unquote = (t: string) => t.replace(/^"|"$/g, '');
  /** Reads a table reference at i; returns the index after it (and after a subquery in parens). */
  const tableRef = (i: number): number => {
    if (tokens[i] === 'only' || tokens[i] === 'lateral') i++;
    if (tokens[i] === '(' && (tokens[i + 1] === DYN || tokens[i + 1] === ORM) && tokens[i + 2] === ')') {
      tables.add(tokens[i + 1] === DYN ? DYNAMIC_TABLE : ORM_QUERY); // from (${subquery})
      return i + 3;
    }
    if (tokens[i] === '(') {
      let depth = 0;
      for (; i < tokens.length; i++) {
        if (tokens[i] === '(') depth++;
        else if (tokens[i] === ')' && --depth === 0) return i + 1;
      }
      return i;
    }
    if (!ident(tokens[i])) return i;
    let name = unquote(tokens[i]!);
    i++;
    if (tokens[i] === '.' && ident(tokens[i + 1])) {
      name = unquote(tokens[i + 1]!); // schema.table
      i += 2;
    }
    tables.add(name === DYN ? DYNAMIC_TABLE : name === ORM ? ORM_QUERY : name);
    return i;
  };
  // Per open parenthesis: is it a function call's (`extract(epoch from x)`, `trim(both from x)`)?
  const calls: boolean[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t === '(') calls.push(ident(tokens[i - 1]) && !NOT_CALL.has(tokens[i - 1]!) && tokens[i + 1] !== 'select' && tokens[i + 1] !== 'with');
    if (t === ')') calls.pop();
    if (t !== 'from' && t !== 'join' && t !== 'update' && t !== 'into' && t !== 'using' && t !== 'truncate') continue;
    // `do update set` (upsert), `for [no key] update` (a lock), `is distinct from`, a function's `from`: no table
    if (t === 'update' && (tokens[i + 1] === 'set' || tokens[i - 1] === 'for' || tokens[i - 1] === 'key')) continue;
    if (t === 'from' && (tokens[i - 1] === 'distinct' || calls.at(-1))) continue;
    let j = tableRef(i + 1);
    if (t !== 'from' && t !== 'using' && t !== 'truncate') continue;
    for (;;) {
      if (tokens[j] === 'as') j++;
      if (ident(tokens[j]) && !STOP.has(tokens[j]!) && tokens[j] !== DYN && tokens[j] !== ORM) j++; // alias
      if (tokens[j] !== ',') break;
      j = tableRef(j + 1);
    }
  }
  return [...tables];
}

/** `site_id` compared with a parameter, or set by an INSERT column list. */
export function hasSiteCondition(sqlText: string): boolean {
  const s = scrub(sqlText).replace(new RegExp(DYN, 'g'), '?');
  const param = String.raw`(?:\?|\$\d+|any\s*\(\s*(?:\?|\$\d+))`;
  if (new RegExp(String.raw`\bsite_id\s*(?:=|in\s*\(|is\s+not\s+distinct\s+from)\s*${param}`).test(s)) return true;
  if (new RegExp(String.raw`${param}\s*=\s*(?:[a-z_][a-z0-9_]*\.)?site_id\b`).test(s)) return true;
  return /\binsert\s+into\s+[a-z_."]+\s*\([^)]*\bsite_id\b/.test(s);
}

// ---------------------------------------------------------------------------------------------------
// Comments

const ALL_SITES = /^\/\/\s*all-sites:(.*)$/;

/** The `// all-sites:` reason in the comment block directly above one of the nodes (no blank line between). */
function allSitesComment(sf: ts.SourceFile, nodes: ts.Node[]): string | null {
  for (const node of nodes) {
    const ranges = ts.getLeadingCommentRanges(sf.text, node.pos) ?? [];
    let next = node.getStart(sf);
    for (let i = ranges.length - 1; i >= 0; i--) {
      const c = ranges[i]!;
      if ((sf.text.slice(c.end, next).match(/\n/g) ?? []).length > 1) break;
      const m = ALL_SITES.exec(sf.text.slice(c.pos, c.end).trim());
      if (m) return m[1]!.trim();
      next = c.pos;
    }
  }
  return null;
}

function enclosingStatement(node: ts.Node): ts.Node | undefined {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (ts.isFunctionLike(n) || ts.isSourceFile(n)) return undefined;
    if (ts.isStatement(n) || ts.isPropertyAssignment(n)) return n;
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------
// Finding the statements

// `rows` is PlainReads (db/plain-reads.ts): plain statements on the ORM's pool, outside its filters.
const CALLS = new Set(['execute', 'query', 'raw', 'sql', 'rows']);
const TAGS = new Set(['sql', 'raw']);

function calleeName(e: ts.Expression): string | null {
  if (ts.isIdentifier(e)) return e.text;
  if (ts.isPropertyAccessExpression(e)) return e.name.text;
  return null;
}

/** Every raw SQL statement of one source file, each judged. `siteTables` are the site-owned table names. */
export function analyzeSource(fileName: string, sourceText: string, siteTables: Iterable<string>): RawStatement[] {
  const owned = new Set(siteTables);
  const sf = ts.createSourceFile(fileName, sourceText, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: RawStatement[] = [];

  const judge = (kind: string, at: ts.Node, sqlNode: ts.Expression | undefined, rendered: Rendered | null, commentNodes: ts.Node[]) => {
    const line = sf.getLineAndCharacterOfPosition(at.getStart(sf)).line + 1;
    const text = rendered ? rendered.text : null;
    const tables = text === null ? [] : tablesIn(text);
    const siteTablesHit = text === null ? [DYNAMIC_TABLE] : tables.filter((t) => t === DYNAMIC_TABLE || owned.has(t));
    const hasSiteId = text !== null && /\bsite_id\b/.test(scrub(plain(text)));
    const strict = text !== null && hasSiteCondition(withoutConditional(text));
    const reason = allSitesComment(sf, [...(sqlNode ? [sqlNode] : []), ...commentNodes]);
    const st: RawStatement = {
      file: fileName,
      line,
      kind,
      sql: text === null ? null : plain(text).replace(new RegExp(` ?${DYN} ?`, 'g'), '${…}').replace(new RegExp(` ?${ORM} ?`, 'g'), '${orm sql}'),
      tables: tables.filter((t) => t !== DYNAMIC_TABLE),
      siteTables: siteTablesHit,
      hasSiteId,
      hasSiteCondition: strict,
      allSites: reason,
      status: 'no-site-table',
    };
    if (siteTablesHit.length === 0) {
      if (tables.includes(ORM_QUERY)) st.status = 'orm-query';
      out.push(st);
      return;
    }
    if (reason !== null && reason !== '') st.status = 'all-sites';
    else if (hasSiteId) st.status = 'site-condition';
    else st.status = 'fail';
    if (st.status === 'fail') {
      st.problem =
        reason === ''
          ? '`// all-sites:` comment gives no reason'
          : text === null
            ? 'SQL not statically readable: write it as a literal, or mark it `// all-sites: <why>`'
            : 'no site_id in the SQL and no `// all-sites:` comment';
    } else if (st.status === 'site-condition' && !strict) {
      const anywhere = text !== null && hasSiteCondition(plain(text));
      st.warning = anywhere
        ? 'site_id = ? is only in a conditional part: across all sites otherwise (an all-sites job statement needs its comment)'
        : 'site_id is never compared with a parameter (only joined / selected): reads across sites';
    }
    out.push(st);
  };

  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node)) {
      const name = calleeName(node.expression);
      const first = node.arguments[0];
      if (name && CALLS.has(name) && first && stringish(first)) {
        const rendered = render(first, sf);
        // `execute` is SQL whatever its argument; the other names only with a readable string.
        if (name === 'execute' || rendered) {
          const at = ts.isPropertyAccessExpression(node.expression) ? node.expression.name : node.expression;
          const stmt = enclosingStatement(node);
          judge(name, at, first, rendered, [node, ...(stmt ? [stmt] : [])]);
        }
      }
    } else if (ts.isTaggedTemplateExpression(node)) {
      const name = calleeName(node.tag);
      if (name && TAGS.has(name)) {
        const rendered = render(node.template, sf);
        const stmt = enclosingStatement(node);
        judge(`${name}\`\``, node.tag, node.template, rendered, [node, ...(stmt ? [stmt] : [])]);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

// ---------------------------------------------------------------------------------------------------
// CLI

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) files.push(...sourceFiles(p));
    else if (/\.(?:ts|mts|cts)$/.test(e.name) && !e.name.endsWith('.d.ts')) files.push(p);
  }
  return files.sort();
}

export function siteOwnedTables(entityDir: string): EntityTable[] {
  return sourceFiles(entityDir)
    .filter((f) => f.endsWith('.entity.ts'))
    .flatMap((f) => entityTables(readFileSync(f, 'utf8'), f));
}

export function checkTree(root: string): { tables: EntityTable[]; statements: RawStatement[] } {
  const tables = siteOwnedTables(join(root, 'src/entities'));
  const owned = tables.filter((t) => t.siteOwned).map((t) => t.table);
  const statements = sourceFiles(join(root, 'src')).flatMap((f) => analyzeSource(relative(root, f), readFileSync(f, 'utf8'), owned));
  return { tables, statements };
}

function main(argv: string[]): number {
  const list = argv.includes('--list');
  const strict = argv.includes('--strict');
  const { tables, statements } = checkTree(process.cwd());
  const owned = tables.filter((t) => t.siteOwned).map((t) => t.table);
  const where = (s: RawStatement) => `${s.file}:${s.line}`;
  if (list) {
    console.log(`site-owned tables: ${owned.join(', ')}`);
    for (const s of statements) {
      const tag = s.status === 'all-sites' ? `all-sites (${s.allSites})` : s.status;
      const t = s.siteTables.length ? s.siteTables.join(', ') : s.tables.join(', ') || '-';
      console.log(`${where(s).padEnd(52)} ${s.kind.padEnd(8)} ${tag.padEnd(15)} ${t}${s.warning ? `  [warning: ${s.warning}]` : ''}`);
    }
  }
  const failed = statements.filter((s) => s.status === 'fail');
  const warned = statements.filter((s) => s.warning);
  for (const s of warned) console.error(`check-raw-sql: ${strict ? 'error' : 'warning'}: ${where(s)} (${s.siteTables.join(', ')}): ${s.warning}`);
  for (const s of failed) console.error(`check-raw-sql: ${where(s)} (${s.siteTables.join(', ')}): ${s.problem}`);
  const bad = failed.length + (strict ? warned.length : 0);
  const scoped = statements.filter((s) => s.siteTables.length).length;
  if (bad) {
    console.error(`check-raw-sql: ${bad} of ${statements.length} raw SQL statements break per-site isolation (site_id = ? or an \`// all-sites: <why>\` comment)`);
    return 1;
  }
  console.log(`check-raw-sql: ${statements.length} raw SQL statements, ${scoped} on site-owned tables, each with its site condition or an all-sites comment`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  process.exitCode = main(process.argv.slice(2));
}
