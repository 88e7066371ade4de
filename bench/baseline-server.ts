import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { readAuditLog, readMe, readSites, readWallets } from './reference-queries.js';
import { createOrderBare, readOrders } from './orders/reference-orders.js';
import { readAllocationsWithReleases } from './vesting/reference-allocations.js';
import { isEntry, runAsChild, type ReferenceServer } from './reference-child.js';

/**
 * The floor the API is compared with: a bare node:http server that answers the same JSON as the
 * GraphQL API from the same PostgreSQL with one query per request. No auth, no GraphQL, no ORM; the
 * user or site is in the path, the page size is the bench's 50.
 *   POST /me/<userId>       -> {"data":{"me":{id,email,role}}}
 *   POST /sites             -> {"data":{"sites":[{id,slug,name,createdAt}]}}
 *   POST /wallets/<siteId>  -> {"data":{"wallets":{edges:[{node:{…},cursor}],pageInfo:{…}}}}
 *   POST /audit/<siteId>    -> {"data":{"auditLog":{edges:[{node:{…},cursor}],pageInfo:{…}}}}
 *   POST /orders/<siteId>   -> {"data":{"orders":{edges:[{node:{…},cursor}],pageInfo:{…}}}}   (bench/orders.ts)
 *   POST /allocations/<siteId> -> {"data":{"allocations":{edges:[{node:{…, releases:[…]}}]}}}   (bench/vesting.ts; two
 *                           statements: the page with its sums, then the page's releases)
 *   POST /create-order/<siteId>/<customerId> -> {"data":{"createOrder":{…}}}, the order written in one
 *                           transaction (bench/orders/reference-orders.ts; input from the body's variables.i)
 * The request body is read and ignored (except by /create-order), so every server receives the same
 * bytes. The answer is `JSON.stringify(body) + "\n"`, as Apollo Server writes it, so the bytes match too.
 *
 * As a process (the platform bench):
 *   DATABASE_URL=… BENCH_POOL_MAX=10 node --import @swc-node/register/esm-register bench/baseline-server.ts
 */
export type BaselineServer = ReferenceServer;

const PAGE = 50;

export async function startBaselineServer(databaseUrl: string, poolMax: number): Promise<BaselineServer> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolMax });

  async function answer(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const [, route, id, customerId] = (req.url ?? '').split('/');
    if (route === 'create-order' && id && customerId) {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const ip = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? null;
      return createOrderBare(pool, id, customerId, ip, Buffer.concat(chunks).toString('utf8'));
    }
    for await (const _chunk of req); // drain the body
    switch (route) {
      case 'me':
        return { status: 200, body: { data: { me: await readMe(pool, id ?? null) } } };
      case 'sites':
        return { status: 200, body: { data: { sites: await readSites(pool) } } };
      case 'wallets':
        if (id) return { status: 200, body: { data: { wallets: await readWallets(pool, id, PAGE) } } };
        break;
      case 'audit':
        if (id) return { status: 200, body: { data: { auditLog: await readAuditLog(pool, id, PAGE) } } };
        break;
      case 'orders':
        if (id) return { status: 200, body: { data: { orders: await readOrders(pool, id, PAGE) } } };
        break;
      case 'allocations':
        if (id) return { status: 200, body: { data: { allocations: await readAllocationsWithReleases(pool, id, PAGE) } } };
        break;
    }
    return { status: 404, body: { errors: [{ message: 'Not found' }] } };
  }

  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = `${JSON.stringify(body)}\n`;
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const server = createServer((req, res) => {
    answer(req).then(
      (r) => send(res, r.status, r.body),
      (e: unknown) => send(res, 500, { errors: [{ message: (e as Error).message }] }),
    );
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await pool.end();
    },
  };
}

if (isEntry(import.meta.url)) await runAsChild('baseline-server', startBaselineServer);
