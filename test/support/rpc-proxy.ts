import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type RpcProxyMode = 'pass' | 'garbage' | 'hang' | 'error';

/**
 * An HTTP JSON-RPC relay in front of a real node that a test can turn bad: `garbage` answers
 * eth_getLogs with malformed logs, `hang` never answers, `error` answers HTTP 502. Everything else
 * (and every call in `pass` mode) goes to the node unchanged.
 */
export interface RpcProxy {
  url: string;
  mode: RpcProxyMode;
  /** JSON-RPC methods seen, in order. */
  calls: string[];
  close(): Promise<void>;
}

export async function startRpcProxy(targetUrl: string): Promise<RpcProxy> {
  const hanging = new Set<() => void>();
  const proxy: RpcProxy = { url: '', mode: 'pass', calls: [], close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const msg = JSON.parse(body) as { id: number; method: string } | { id: number; method: string }[];
      const methods = Array.isArray(msg) ? msg.map((m) => m.method) : [msg.method];
      proxy.calls.push(...methods);
      if (proxy.mode === 'hang') {
        hanging.add(() => res.destroy());
        return;
      }
      if (proxy.mode === 'error') {
        res.writeHead(502).end('bad gateway');
        return;
      }
      if (proxy.mode === 'garbage' && !Array.isArray(msg) && msg.method === 'eth_getLogs') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: msg.id, result: [{ address: 'nope', topics: ['0x1'], data: 'zz' }] }));
        return;
      }
      const upstream = await fetch(targetUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      res.writeHead(upstream.status, { 'content-type': 'application/json' }).end(await upstream.text());
    });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  proxy.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  proxy.close = () =>
    new Promise<void>((ok) => {
      for (const h of hanging) h();
      server.closeAllConnections();
      server.close(() => ok());
    });
  return proxy;
}
