import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';

/**
 * The floor the API is compared with: a bare node:http server that answers the same JSON as the
 * GraphQL API from the same PostgreSQL with one query per request. No auth, no GraphQL, no ORM.
 *   POST /sites     -> {"data":{"sites":[{id,slug,name,createdAt}]}}
 *   POST /me/<id>   -> {"data":{"me":{id,email,role}}}
 * The request body is read and ignored, so both servers receive the same bytes.
 */
export interface BaselineServer {
  url: string;
  stop(): Promise<void>;
}

interface SiteRow {
  id: string;
  slug: string;
  name: string;
  created_at: Date;
}

interface UserRow {
  id: string;
  email: string;
  role: string;
}

const SITES_SQL = 'select id, slug, name, created_at from site order by created_at, id';
const ME_SQL = 'select id, email, role from app_user where id = $1';

export async function startBaselineServer(databaseUrl: string, poolMax: number): Promise<BaselineServer> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolMax });

  async function answer(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    for await (const _chunk of req); // drain the body
    const path = req.url ?? '';
    if (path === '/sites') {
      const { rows } = await pool.query<SiteRow>(SITES_SQL);
      const sites = rows.map((r) => ({ id: r.id, slug: r.slug, name: r.name, createdAt: r.created_at.toISOString() }));
      return { status: 200, body: { data: { sites } } };
    }
    if (path.startsWith('/me/')) {
      const { rows } = await pool.query<UserRow>(ME_SQL, [path.slice('/me/'.length)]);
      const u = rows[0];
      return { status: 200, body: { data: { me: u ? { id: u.id, email: u.email, role: u.role } : null } } };
    }
    return { status: 404, body: { errors: [{ message: 'Not found' }] } };
  }

  const send = (res: ServerResponse, status: number, body: unknown) => {
    const text = JSON.stringify(body);
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
