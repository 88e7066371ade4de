/**
 * The reference for the custody webhook: a bare node:http + pg handler doing the webhook's core work,
 * one process of its own (`BENCH_POOL_MAX` connections), printing `{"url": …}` when it listens.
 *
 * POST /webhooks/fireblocks: the body read raw (64 KiB at most), the v2 Fireblocks signature (detached
 * RS512 JWS, the MOCK custody's public key from BENCH_JWK) verified with node:crypto, then in one
 * transaction: the release looked up by externalTxId; the event stored once (insert … on conflict do
 * nothing); the release updated only if PROCESSING (COMPLETED -> RELEASED with the tx hash, else the
 * custody status recorded); for RELEASED the allocation's released_amount raised; the event's outcome
 * written. Answers `{"ok":true,"outcome":…}`. GET /stats: each request's handling time in ms (request
 * in to response finished, as Vestline's request log measures it).
 */
import { createPublicKey, randomUUID, verify, type JsonWebKey } from 'node:crypto';
import { createServer } from 'node:http';
import pg from 'pg';

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.BENCH_POOL_MAX ?? 10) });
const jwk = JSON.parse(process.env.BENCH_JWK ?? '{}') as JsonWebKey & { kid?: string };
const publicKey = createPublicKey({ key: jwk, format: 'jwk' });
const durations: number[] = [];

function verified(header: string | undefined, body: Buffer): boolean {
  if (!header) return false;
  const [prot, payload, sig] = header.split('.');
  if (!prot || payload !== '' || !sig) return false;
  let h: { alg?: string; kid?: string };
  try {
    h = JSON.parse(Buffer.from(prot, 'base64url').toString('utf8')) as { alg?: string; kid?: string };
  } catch {
    return false;
  }
  if (h.alg !== 'RS512' || h.kid !== jwk.kid) return false;
  return verify('sha512', Buffer.from(`${prot}.${body.toString('base64url')}`), publicKey, Buffer.from(sig, 'base64url'));
}

interface Event {
  id: string;
  eventType: string;
  data: { id: string; externalTxId: string; status: string; txHash: string | null };
}

async function handle(body: Buffer): Promise<string> {
  const e = JSON.parse(body.toString('utf8')) as Event;
  const tx = e.data;
  const client = await pool.connect();
  try {
    await client.query('begin');
    const rel = (await client.query<{ id: string; site_id: string }>('select id, site_id from vesting_release where external_tx_id = $1', [tx.externalTxId])).rows[0];
    const stored = (
      await client.query<{ id: string }>(
        `insert into custody_event (id, provider, event_key, type, site_id, release_id, custody_tx_id, external_tx_id, status, outcome, payload, received_at)
         values ($1, 'fireblocks', $2, $3, $4, $5, $6, $7, $8, 'received', $9, now()) on conflict (provider, event_key) do nothing returning id`,
        [randomUUID(), e.id, e.eventType, rel?.site_id ?? null, rel?.id ?? null, tx.id, tx.externalTxId, tx.status, body.toString('utf8')],
      )
    ).rows[0];
    if (!stored) {
      await client.query('commit');
      return 'duplicate';
    }
    let outcome = 'unknown_transaction';
    if (rel && tx.status === 'COMPLETED') {
      const r = (
        await client.query<{ amount: string; allocation_id: string }>(
          `update vesting_release set status = 'RELEASED', custody_tx_id = coalesce(custody_tx_id, $2), custody_status = $3, tx_hash = $4, released_at = now(), failure_reason = null, updated_at = now()
           where id = $1 and site_id = $5 and status = 'PROCESSING' returning amount, allocation_id`,
          [rel.id, tx.id, tx.status, tx.txHash, rel.site_id],
        )
      ).rows[0];
      if (r) await client.query('update allocation set released_amount = released_amount + $1, updated_at = now() where id = $2 and site_id = $3', [r.amount, r.allocation_id, rel.site_id]);
      outcome = r ? 'released' : 'stale';
    } else if (rel) {
      const r = await client.query(
        `update vesting_release set custody_tx_id = coalesce(custody_tx_id, $2), custody_status = $3, updated_at = now() where id = $1 and site_id = $4 and status = 'PROCESSING'`,
        [rel.id, tx.id, tx.status, rel.site_id],
      );
      outcome = r.rowCount ? 'recorded' : 'stale';
    }
    await client.query('update custody_event set outcome = $1 where id = $2', [outcome, stored.id]);
    await client.query('commit');
    return outcome;
  } catch (err) {
    await client.query('rollback').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}

const server = createServer((req, res) => {
  const started = process.hrtime.bigint();
  res.on('finish', () => durations.push(Number(process.hrtime.bigint() - started) / 1e6));
  if (req.method === 'GET' && req.url === '/stats?reset=1') {
    durations.length = 0;
    res.on('finish', () => (durations.length = 0));
    return void res.writeHead(204).end();
  }
  if (req.method === 'GET' && req.url === '/stats') {
    res.on('finish', () => durations.pop());
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(durations));
    return;
  }
  if (req.method !== 'POST' || req.url !== '/webhooks/fireblocks') return void res.writeHead(404).end();
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (c: Buffer) => {
    size += c.length;
    if (size > 64 * 1024) req.destroy();
    else chunks.push(c);
  });
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    if (!verified(req.headers['fireblocks-webhook-signature'] as string | undefined, body)) return void res.writeHead(401).end('{"error":"webhook refused"}');
    handle(body).then(
      (outcome) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, outcome })),
      (err: unknown) => res.writeHead(500).end(JSON.stringify({ error: String(err) })),
    );
  });
});
server.listen(0, '127.0.0.1', () => {
  const a = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${a.port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => void pool.end().then(() => process.exit(0))));
