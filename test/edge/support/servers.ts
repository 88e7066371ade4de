/** Plain node:http servers on 127.0.0.1 standing in for the origin API and Fireblocks' JWKS endpoint. */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface Listening {
  server: Server;
  url: string;
  port: number;
}

async function listen(server: Server, port = 0): Promise<Listening> {
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => ok());
  });
  const p = (server.address() as AddressInfo).port;
  return { server, url: `http://127.0.0.1:${p}`, port: p };
}

function close(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((ok) => server.close(() => ok()));
}

export interface OriginServer {
  url: string;
  received: Received[];
  /** What the next requests get: a status and JSON body, or `hang` to never answer. */
  respond: { status: number; body: unknown } | 'hang';
  /** Stops listening; the port stays known, so the worker now meets a refused connection. */
  stop(): Promise<void>;
}

export async function startOrigin(): Promise<OriginServer> {
  const origin: OriginServer = {
    url: '',
    received: [],
    respond: { status: 200, body: { ok: true } },
    stop: async () => undefined,
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      origin.received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      const r = origin.respond;
      if (r === 'hang') return;
      res.writeHead(r.status, { 'content-type': 'application/json', 'set-cookie': 'origin=secret' }).end(JSON.stringify(r.body));
    });
  });
  const l = await listen(server);
  origin.url = l.url;
  origin.stop = () => close(server);
  return origin;
}

export interface JwksServer {
  url: string;
  keys: Record<string, string>[];
  hits: number;
  /** While true, every download is answered 503. */
  failing: boolean;
  /** Each answer waits this long (a slow endpoint, so lookups overlap one download). */
  delayMs: number;
  stop(): Promise<void>;
}

export async function startJwks(keys: Record<string, string>[]): Promise<JwksServer> {
  const jwks: JwksServer = { url: '', keys, hits: 0, failing: false, delayMs: 0, stop: async () => undefined };
  const server = createServer((_req, res) => {
    jwks.hits++;
    const answer = () => {
      if (jwks.failing) return void res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=3600' }).end(JSON.stringify({ keys: jwks.keys }));
    };
    if (jwks.delayMs > 0) setTimeout(answer, jwks.delayMs);
    else answer();
  });
  const l = await listen(server);
  jwks.url = `${l.url}/.well-known/jwks.json`;
  jwks.stop = () => close(server);
  return jwks;
}
