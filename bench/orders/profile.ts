/**
 * `BENCH_PROFILE=1`: what Vestline sends to PostgreSQL per request, counted on the wire. A second
 * Vestline process (same code, same configuration) talks to the database through a TCP relay in this
 * process that reads the frontend protocol: every simple Query and every extended-protocol Execute is a
 * statement, every Query and Sync a round trip. Requests go one at a time, after one unmeasured
 * request of each kind, so nothing else (start-up, the event listener) is counted.
 *
 * It runs before the bulk rows go in: Vestline's start-up check opens wallets (see seed.ts).
 */
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { startVestlineProcess } from '../platform/processes.js';

export interface StatementCounts {
  perRequest: { name: string; statements: number; roundTrips: number; texts: { sql: string; perRequest: number }[] }[];
  lines: string[];
}

interface Counter {
  statements: number;
  roundTrips: number;
  texts: Map<string, number>;
}

const newCounter = (): Counter => ({ statements: 0, roundTrips: 0, texts: new Map() });
const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;

const cstring = (buf: Buffer, at: number): [string, number] => {
  const end = buf.indexOf(0, at);
  return [buf.toString('utf8', at, end), end + 1];
};
/** One line, literals as `?` (the ORM inlines parameters into the text it sends). */
const short = (sql: string) => {
  const s = sql.replace(/'(?:[^']|'')*'/g, '?').replace(/\s+/g, ' ').trim();
  return s.length > 110 ? `${s.slice(0, 107)}…` : s;
};

/** Reads one connection's frontend messages and counts them into `counter()` (the current one). */
function frontendParser(counter: () => Counter) {
  let buf = Buffer.alloc(0);
  let startup = true;
  const prepared = new Map<string, string>();
  let bound = '';
  return (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (startup) {
        if (buf.length < 8) return;
        const len = buf.readInt32BE(0);
        if (buf.length < len) return;
        const code = buf.readInt32BE(4);
        buf = buf.subarray(len);
        if (code !== SSL_REQUEST && code !== GSS_REQUEST) startup = false;
        continue;
      }
      if (buf.length < 5) return;
      const type = String.fromCharCode(buf[0]!);
      const len = buf.readInt32BE(1);
      if (buf.length < 1 + len) return;
      const body = buf.subarray(5, 1 + len);
      buf = buf.subarray(1 + len);
      const c = counter();
      if (type === 'Q') {
        const [sql] = cstring(body, 0);
        c.statements++;
        c.roundTrips++;
        const k = short(sql);
        c.texts.set(k, (c.texts.get(k) ?? 0) + 1);
      } else if (type === 'P') {
        const [name, next] = cstring(body, 0);
        const [sql] = cstring(body, next);
        prepared.set(name, sql);
      } else if (type === 'B') {
        const [, next] = cstring(body, 0);
        [bound] = cstring(body, next);
      } else if (type === 'E') {
        c.statements++;
        const k = short(prepared.get(bound) ?? '(unknown prepared statement)');
        c.texts.set(k, (c.texts.get(k) ?? 0) + 1);
      } else if (type === 'S') {
        c.roundTrips++;
      }
    }
  };
}

async function startCountingRelay(target: { host: string; port: number }, counter: () => Counter) {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(target.port, target.host);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    const parse = frontendParser(counter);
    client.on('data', (d: Buffer) => {
      parse(d);
      upstream.write(d);
    });
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

export async function countStatements(o: {
  env: Record<string, string>;
  logFile: string;
  databaseUrl: string;
  requests: { name: string; headers: Record<string, string>; body: string }[];
  /** Requests counted per kind (after one unmeasured). */
  repeat?: number;
  log: (m: string) => void;
}): Promise<StatementCounts> {
  const repeat = o.repeat ?? 3;
  let current = newCounter();
  const db = new URL(o.databaseUrl);
  const relay = await startCountingRelay({ host: db.hostname, port: Number(db.port || 5432) }, () => current);
  const viaRelay = new URL(o.databaseUrl);
  viaRelay.hostname = '127.0.0.1';
  viaRelay.port = String(relay.port);
  const { NODE_OPTIONS: _inspect, ...env } = o.env;
  const vestline = await startVestlineProcess({ ...env, DATABASE_URL: viaRelay.toString() }, o.logFile);
  const perRequest: StatementCounts['perRequest'] = [];
  try {
    for (const r of o.requests) {
      const send = async () => {
        const res = await fetch(vestline.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...r.headers }, body: r.body });
        const text = await res.text();
        if (res.status !== 200 || text.includes('"errors"')) throw new Error(`profile: ${r.name} answered ${res.status}: ${text.slice(0, 300)}`);
      };
      await send();
      current = newCounter();
      for (let i = 0; i < repeat; i++) await send();
      const c = current;
      perRequest.push({
        name: r.name,
        statements: c.statements / repeat,
        roundTrips: c.roundTrips / repeat,
        texts: [...c.texts].map(([sql, n]) => ({ sql, perRequest: n / repeat })),
      });
      o.log(`profile: ${r.name}: ${c.statements / repeat} statements, ${c.roundTrips / repeat} round trips per request`);
    }
  } finally {
    await vestline.stop();
    await relay.close();
  }
  const lines = ['Statements Vestline sends per request (BENCH_PROFILE=1, counted on the wire, one request at a time):', ''];
  for (const p of perRequest) {
    lines.push(`- ${p.name}: ${p.statements} statements, ${p.roundTrips} round trips`);
    for (const t of p.texts) lines.push(`  - ${t.perRequest}× \`${t.sql}\``);
  }
  return { perRequest, lines };
}
