/**
 * The webhook SSRF guard and delivery attempt (src/services/notifications/safe-delivery.ts). DNS is
 * played by the injectable `resolve`; delivery goes to real local node:http / node:https receivers on
 * 127.0.0.1 (hence allowPrivate), reached through made-up `.test` names that only the injected resolver
 * knows, which shows the socket is pinned to the checked address rather than resolved again.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as HttpsServer } from 'node:https';
import { getDefaultAutoSelectFamily, isIP, setDefaultAutoSelectFamily, type AddressInfo, type Socket } from 'node:net';
import { jest } from '@jest/globals';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkTarget,
  classifyAddress,
  MAX_RESPONSE_BYTES,
  postToTarget,
  type ResolveHost,
  type TargetPolicy,
  type TargetProblem,
} from '../../../src/services/notifications/safe-delivery.js';

const PROD: TargetPolicy = { httpsOnly: true, allowPrivate: false };
const DEV: TargetPolicy = { httpsOnly: false, allowPrivate: true };
const HTTP_PUBLIC_ONLY: TargetPolicy = { httpsOnly: false, allowPrivate: false };

function notFound(): Error {
  return Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' });
}

/** A DNS that knows only `zone`; every other name is NXDOMAIN. Counts lookups per name. */
function fakeDns(zone: Record<string, string[]>): ResolveHost & { calls: string[] } {
  const calls: string[] = [];
  const resolve = async (host: string) => {
    calls.push(host);
    const answers = zone[host];
    if (!answers) throw notFound();
    return answers.map((address) => ({ address, family: (isIP(address) === 6 ? 6 : 4) as 4 | 6 }));
  };
  return Object.assign(resolve, { calls });
}

const ZONE = {
  'hooks.example.com': ['93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c'],
  'public-and-private.example.com': ['93.184.215.14', '10.1.2.3'],
  'public-and-metadata.example.com': ['93.184.215.14', '169.254.169.254'],
  'localhost.example.com': ['127.0.0.1'],
  'v6-loopback.example.com': ['::1'],
  'metadata.example.com': ['169.254.169.254'],
  'aws-v6-metadata.example.com': ['fd00:ec2::254'],
  'mapped-metadata.example.com': ['::ffff:169.254.169.254'],
  'mapped-loopback.example.com': ['::ffff:127.0.0.1'],
  'alibaba.example.com': ['100.100.100.200'],
  'cgnat.example.com': ['100.64.0.1'],
  'ula.example.com': ['fd12:3456::1'],
  'empty.example.com': [],
  'garbage.example.com': ['not-an-ip'],
};

describe('classifyAddress', () => {
  it.each([
    ['8.8.8.8', 'public'],
    ['93.184.215.14', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['64:ff9b::808:808', 'public'], // NAT64 of 8.8.8.8
    ['::ffff:8.8.8.8', 'public'],
    ['127.0.0.1', 'private'],
    ['127.255.255.254', 'private'],
    ['10.0.0.1', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['100.127.255.255', 'private'],
    ['198.18.0.1', 'private'],
    ['192.0.2.1', 'private'],
    ['::1', 'private'],
    ['0:0:0:0:0:0:0:1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fec0::1', 'private'],
    ['2001:db8::1', 'private'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'private'], // Teredo
    ['::ffff:127.0.0.1', 'private'],
    ['::ffff:7f00:1', 'private'],
    ['64:ff9b::a00:1', 'private'], // NAT64 of 10.0.0.1
    ['2002:c0a8:101::1', 'private'], // 6to4 of 192.168.1.1
    ['0.0.0.0', 'forbidden'],
    ['0.1.2.3', 'forbidden'],
    ['169.254.169.254', 'forbidden'],
    ['169.254.0.1', 'forbidden'],
    ['100.100.100.200', 'forbidden'],
    ['224.0.0.1', 'forbidden'],
    ['239.255.255.250', 'forbidden'],
    ['240.0.0.1', 'forbidden'],
    ['255.255.255.255', 'forbidden'],
    ['::', 'forbidden'],
    ['fe80::1', 'forbidden'],
    ['fe80::1%eth0', 'forbidden'],
    ['febf::1', 'forbidden'],
    ['fd00:ec2::254', 'forbidden'],
    ['ff02::1', 'forbidden'],
    ['::ffff:169.254.169.254', 'forbidden'],
    ['::ffff:a9fe:a9fe', 'forbidden'],
    ['::ffff:0.0.0.0', 'forbidden'],
    ['64:ff9b::a9fe:a9fe', 'forbidden'], // NAT64 of the metadata address
    ['2002:a9fe:a9fe::1', 'forbidden'], // 6to4 of the metadata address
    ['::127.0.0.1', 'forbidden'], // deprecated IPv4-compatible
    ['100::1', 'forbidden'], // discard-only
  ])('judges %s as %s', (address, verdict) => {
    expect(classifyAddress(address).verdict).toBe(verdict);
  });

  it('calls link-local and metadata addresses link_local_or_metadata, other never-routable ranges private_address', () => {
    for (const a of ['169.254.169.254', '100.100.100.200', 'fe80::1', 'fd00:ec2::254', '::ffff:169.254.169.254']) {
      expect(classifyAddress(a)).toMatchObject({ verdict: 'forbidden', problem: 'link_local_or_metadata' });
    }
    for (const a of ['0.0.0.0', '224.0.0.1', '255.255.255.255', '::', 'ff02::1']) {
      expect(classifyAddress(a)).toMatchObject({ verdict: 'forbidden', problem: 'private_address' });
    }
  });

  it('throws on something that is not an IP address', () => {
    expect(() => classifyAddress('example.com')).toThrow(TypeError);
    expect(() => classifyAddress('127.1')).toThrow(TypeError);
  });
});

describe('checkTarget', () => {
  const dns = fakeDns(ZONE);

  type Row = [url: string, policy: TargetPolicy, expected: 'ok' | TargetProblem];
  it.each<Row>([
    ['https://hooks.example.com/webhooks', PROD, 'ok'],
    ['https://hooks.example.com:8443/a?b=c', PROD, 'ok'],
    ['http://hooks.example.com/webhooks', PROD, 'scheme_not_allowed'],
    ['http://hooks.example.com/webhooks', HTTP_PUBLIC_ONLY, 'ok'],
    ['ftp://hooks.example.com/', HTTP_PUBLIC_ONLY, 'scheme_not_allowed'],
    ['file:///etc/passwd', DEV, 'scheme_not_allowed'],
    ['gopher://127.0.0.1:6379/_FLUSHALL', DEV, 'scheme_not_allowed'],
    ['https://user:pass@hooks.example.com/', PROD, 'credentials_in_url'],
    ['https://user@hooks.example.com/', PROD, 'credentials_in_url'],
    ['https://:pass@hooks.example.com/', PROD, 'credentials_in_url'],
    ['not a url', PROD, 'invalid_url'],
    ['', PROD, 'invalid_url'],
    ['https://', PROD, 'invalid_url'],
    ['/relative/path', PROD, 'invalid_url'],
    ['https://nxdomain.example.com/', PROD, 'unresolvable'],
    ['https://empty.example.com/', PROD, 'unresolvable'],
    ['https://garbage.example.com/', PROD, 'unresolvable'],
    // One private answer among public ones is enough to refuse.
    ['https://public-and-private.example.com/', PROD, 'private_address'],
    ['https://public-and-private.example.com/', DEV, 'ok'],
    ['https://public-and-metadata.example.com/', DEV, 'link_local_or_metadata'],
    // Metadata and link-local: refused even with allowPrivate.
    ['http://169.254.169.254/latest/meta-data/', DEV, 'link_local_or_metadata'],
    ['https://metadata.example.com/', DEV, 'link_local_or_metadata'],
    ['https://aws-v6-metadata.example.com/', DEV, 'link_local_or_metadata'],
    ['http://[fd00:ec2::254]/', DEV, 'link_local_or_metadata'],
    ['http://[fe80::1]/', DEV, 'link_local_or_metadata'],
    ['https://mapped-metadata.example.com/', DEV, 'link_local_or_metadata'],
    ['http://[::ffff:169.254.169.254]/', DEV, 'link_local_or_metadata'],
    ['https://alibaba.example.com/', DEV, 'link_local_or_metadata'],
    ['http://0.0.0.0:8080/', DEV, 'private_address'],
    ['http://255.255.255.255/', DEV, 'private_address'],
    ['http://[::]/', DEV, 'private_address'],
    // Loopback and private: refused without allowPrivate, allowed with it.
    ['http://127.0.0.1:3000/hook', HTTP_PUBLIC_ONLY, 'private_address'],
    ['http://127.0.0.1:3000/hook', DEV, 'ok'],
    ['http://[::1]:3000/hook', HTTP_PUBLIC_ONLY, 'private_address'],
    ['http://[::1]:3000/hook', DEV, 'ok'],
    ['https://localhost.example.com/', PROD, 'private_address'],
    ['https://localhost.example.com/', { httpsOnly: true, allowPrivate: true }, 'ok'],
    ['https://v6-loopback.example.com/', PROD, 'private_address'],
    ['https://mapped-loopback.example.com/', PROD, 'private_address'],
    ['http://[::ffff:127.0.0.1]/', HTTP_PUBLIC_ONLY, 'private_address'],
    ['https://cgnat.example.com/', PROD, 'private_address'],
    ['https://ula.example.com/', PROD, 'private_address'],
    ['http://10.0.0.5/', HTTP_PUBLIC_ONLY, 'private_address'],
    ['http://192.168.0.1/', HTTP_PUBLIC_ONLY, 'private_address'],
    ['http://172.20.0.1/', HTTP_PUBLIC_ONLY, 'private_address'],
    // Other spellings of 127.0.0.1, normalised by the URL parser before the check.
    ['http://2130706433/', HTTP_PUBLIC_ONLY, 'private_address'],
    ['http://0x7f.1/', HTTP_PUBLIC_ONLY, 'private_address'],
    ['http://127.1/', HTTP_PUBLIC_ONLY, 'private_address'],
    ['http://017700000001/', HTTP_PUBLIC_ONLY, 'private_address'],
    ['http://8.8.8.8/', HTTP_PUBLIC_ONLY, 'ok'],
  ])('%s (%o) → %s', async (url, policy, expected) => {
    const result = await checkTarget(url, policy, dns);
    if (expected === 'ok') expect(result).toMatchObject({ ok: true });
    else expect(result).toMatchObject({ ok: false, problem: expected });
  });

  it('returns every resolved address to pin to, and the parsed URL', async () => {
    const result = await checkTarget('https://hooks.example.com/x', PROD, dns);
    expect(result).toEqual({
      ok: true,
      url: new URL('https://hooks.example.com/x'),
      addresses: [
        { address: '93.184.215.14', family: 4 },
        { address: '2606:2800:21f:cb07:6820:80da:af6b:8b2c', family: 6 },
      ],
    });
  });

  it('does not ask DNS about IP literals', async () => {
    const counting = fakeDns({});
    const result = await checkTarget('http://[::1]:8080/', DEV, counting);
    expect(result).toEqual({ ok: true, url: new URL('http://[::1]:8080/'), addresses: [{ address: '::1', family: 6 }] });
    expect(counting.calls).toEqual([]);
  });

  it('keeps the query and the private address a name resolved to out of the detail', async () => {
    const result = await checkTarget('https://public-and-private.example.com/hook?token=s3cret', PROD, dns);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.detail).toContain('public-and-private.example.com');
    expect(result.detail).not.toContain('s3cret');
    expect(result.detail).not.toContain('10.1.2.3');
    const creds = await checkTarget('https://alice:hunter2@hooks.example.com/', PROD, dns);
    expect(JSON.stringify(creds)).not.toContain('hunter2');
  });

  it('counts a resolver that never answers as unresolvable (after the DNS timeout)', async () => {
    jest.useFakeTimers();
    try {
      const pending = checkTarget('https://slow.example.com/', PROD, () => new Promise(() => undefined));
      await jest.advanceTimersByTimeAsync(5_000);
      await expect(pending).resolves.toMatchObject({ ok: false, problem: 'unresolvable' });
    } finally {
      jest.useRealTimers();
    }
  });

  it('uses the system resolver when none is given', async () => {
    // `.invalid` never resolves (RFC 6761 6.4); an IP literal needs no DNS at all.
    await expect(checkTarget('https://no-such-host.invalid/', PROD)).resolves.toMatchObject({ ok: false, problem: 'unresolvable' });
    await expect(checkTarget('http://127.0.0.1/', DEV)).resolves.toMatchObject({ ok: true });
  });
});

// ---------------------------------------------------------------------------------------------------
// Delivery against real local receivers
// ---------------------------------------------------------------------------------------------------

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface Receiver {
  port: number;
  seen: Seen[];
  close(): Promise<void>;
}

async function listen(server: Server | HttpsServer): Promise<number> {
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return (server.address() as AddressInfo).port;
}

function closeServer(server: Server | HttpsServer, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((ok) => server.close(() => ok()));
}

function trackSockets(server: Server | HttpsServer): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return sockets;
}

/** A receiver whose answer is decided per request by `path`; every request is recorded first. */
async function startReceiver(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<Receiver> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(parts).toString('utf8') });
      handle(req, res);
    });
  });
  const sockets = trackSockets(server);
  const port = await listen(server);
  return { port, seen, close: () => closeServer(server, sockets) };
}

describe('postToTarget', () => {
  let receiver: Receiver;
  const BIG = 'x'.repeat(1024 * 1024);

  beforeAll(async () => {
    receiver = await startReceiver((req, res) => {
      switch (req.url?.split('?')[0]) {
        case '/ok':
          res.writeHead(204).end();
          return;
        case '/created':
          res.writeHead(201, { 'content-type': 'text/plain' }).end('thanks');
          return;
        case '/fail':
          res.writeHead(500, { 'content-type': 'text/plain' }).end('internal secret stack trace');
          return;
        case '/redirect':
          res.writeHead(302, { location: '/ok' }).end();
          return;
        case '/hang':
          return; // never answers
        case '/big':
          res.writeHead(200, { 'content-type': 'text/plain' }).end(BIG);
          return;
        case '/slow-body':
          res.writeHead(200, { 'content-type': 'text/plain' });
          res.write('partial'); // headers and a first chunk, then nothing
          return;
        default:
          res.writeHead(404).end();
      }
    });
  });
  afterAll(() => receiver.close());
  beforeEach(() => {
    receiver.seen.length = 0;
  });

  const local = () => fakeDns({ 'receiver.test': ['127.0.0.1'] });
  const post = (path: string, timeoutMs = 5_000, policy: TargetPolicy = DEV) =>
    postToTarget(`http://receiver.test:${receiver.port}${path}`, '{"type":"order.paid"}', { 'content-type': 'application/json' }, { policy, timeoutMs, resolve: local() });

  it('delivers to a 2xx receiver: ok, status, no error', async () => {
    const result = await post('/ok');
    expect(result).toMatchObject({ ok: true, status: 204, error: null, responseSnippet: '' });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    const created = await post('/created');
    expect(created).toMatchObject({ ok: true, status: 201, error: null, responseSnippet: 'thanks' });
  });

  it('pins the socket to the checked address: a made-up name reaches 127.0.0.1 with its own Host header', async () => {
    const dns = local();
    const result = await postToTarget(
      `http://receiver.test:${receiver.port}/ok?site=42`,
      '{"type":"order.paid","data":{"amount":"10.50"}}',
      { 'content-type': 'application/json', 'webhook-id': 'msg_1', host: 'evil.example', 'content-length': '1' },
      { policy: DEV, timeoutMs: 5_000, resolve: dns },
    );
    expect(result.ok).toBe(true);
    expect(dns.calls).toEqual(['receiver.test']); // checked once; the connect never asked DNS again
    expect(receiver.seen).toHaveLength(1);
    const [seen] = receiver.seen;
    expect(seen).toMatchObject({ method: 'POST', url: '/ok?site=42', body: '{"type":"order.paid","data":{"amount":"10.50"}}' });
    expect(seen?.headers).toMatchObject({
      host: `receiver.test:${receiver.port}`,
      'content-type': 'application/json',
      'webhook-id': 'msg_1',
      'content-length': String(Buffer.byteLength('{"type":"order.paid","data":{"amount":"10.50"}}')),
    });
  });

  it('pins the socket whether or not Node asks lookup for all addresses (autoSelectFamily off)', async () => {
    const before = getDefaultAutoSelectFamily();
    setDefaultAutoSelectFamily(false);
    try {
      await expect(post('/ok')).resolves.toMatchObject({ ok: true, status: 204 });
    } finally {
      setDefaultAutoSelectFamily(before);
    }
    expect(receiver.seen[0]?.headers.host).toBe(`receiver.test:${receiver.port}`);
  });

  it('answers a 500 as not ok with its status, keeping the body out of the error', async () => {
    const result = await post('/fail');
    expect(result).toMatchObject({ ok: false, status: 500, error: 'HTTP 500' });
    expect(result.error).not.toContain('secret');
    expect(result.responseSnippet).toBe('internal secret stack trace');
  });

  it('does not follow a redirect: a 302 is a non-2xx answer', async () => {
    const result = await post('/redirect');
    expect(result).toMatchObject({ ok: false, status: 302 });
    expect(result.error).toMatch(/302.*not followed/);
    expect(receiver.seen.map((s) => s.url)).toEqual(['/redirect']);
  });

  it('gives up on a receiver that never answers after about timeoutMs', async () => {
    const t0 = performance.now();
    const result = await post('/hang', 300);
    const wall = performance.now() - t0;
    expect(result).toMatchObject({ ok: false, status: null, responseSnippet: '' });
    expect(result.error).toMatch(/timed out after 300 ms/);
    expect(wall).toBeGreaterThanOrEqual(290);
    expect(wall).toBeLessThan(1_500);
    expect(result.durationMs).toBeGreaterThanOrEqual(290);
  });

  it('keeps a 2xx whose body is still trickling in when the deadline hits', async () => {
    const result = await post('/slow-body', 300);
    expect(result).toMatchObject({ ok: true, status: 200, error: null, responseSnippet: 'partial' });
    expect(result.durationMs).toBeLessThan(1_500);
  });

  it('counts the send-time DNS lookup in the deadline', async () => {
    const t0 = performance.now();
    const result = await postToTarget('https://slow-dns.test/', '{}', {}, { policy: PROD, timeoutMs: 200, resolve: () => new Promise(() => undefined) });
    expect(result).toMatchObject({ ok: false, status: null });
    expect(result.error).toMatch(/timed out|unresolvable/);
    expect(performance.now() - t0).toBeLessThan(1_000);
  });

  it(`reads at most ${MAX_RESPONSE_BYTES} bytes of a large response`, async () => {
    const result = await post('/big');
    expect(result).toMatchObject({ ok: true, status: 200, error: null });
    expect(result.responseSnippet).toHaveLength(MAX_RESPONSE_BYTES);
    expect(result.responseSnippet).toBe(BIG.slice(0, MAX_RESPONSE_BYTES));
  });

  it('reports a refused connection without a status', async () => {
    const closed = await startReceiver(() => undefined);
    const port = closed.port;
    await closed.close();
    const result = await postToTarget(`http://receiver.test:${port}/`, '{}', {}, { policy: DEV, timeoutMs: 2_000, resolve: local() });
    expect(result).toMatchObject({ ok: false, status: null, responseSnippet: '' });
    expect(result.error).toMatch(/ECONNREFUSED/);
  });

  it('refuses loopback without allowPrivate, before any connection', async () => {
    const result = await post('/ok', 5_000, HTTP_PUBLIC_ONLY);
    expect(result).toMatchObject({ ok: false, status: null });
    expect(result.error).toMatch(/^private_address: /);
    expect(receiver.seen).toHaveLength(0);
  });

  it('refuses a URL that fails the check (scheme, credentials, garbage) without a request', async () => {
    const opts = { policy: PROD, timeoutMs: 1_000, resolve: local() };
    expect((await postToTarget(`http://receiver.test:${receiver.port}/ok`, '{}', {}, opts)).error).toMatch(/^scheme_not_allowed: /);
    expect((await postToTarget(`https://a:b@receiver.test:${receiver.port}/ok`, '{}', {}, opts)).error).toMatch(/^credentials_in_url: /);
    expect((await postToTarget('::garbage::', '{}', {}, opts)).error).toMatch(/^invalid_url: /);
    expect(receiver.seen).toHaveLength(0);
  });

  it('reports a header value that cannot be sent instead of throwing', async () => {
    const result = await postToTarget(`http://receiver.test:${receiver.port}/ok`, '{}', { 'x-bad': 'a\r\nInjected: yes' }, { policy: DEV, timeoutMs: 1_000, resolve: local() });
    expect(result).toMatchObject({ ok: false, status: null });
    expect(result.error).toMatch(/ERR_INVALID_CHAR|Invalid character/);
    expect(receiver.seen).toHaveLength(0);
  });

  it('rejects a non-positive timeout as a programming error', async () => {
    await expect(post('/ok', 0)).rejects.toThrow(RangeError);
  });
});

describe('postToTarget against DNS rebinding', () => {
  let receiver: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver((_req, res) => res.writeHead(200).end('ok'));
  });
  afterAll(() => receiver.close());

  /** Answers `first` to the first lookup (registration), `then` to every later one (send time). */
  function rebinding(first: string, then: string): ResolveHost & { calls: number } {
    const resolve = Object.assign(
      async () => {
        resolve.calls += 1;
        const address = resolve.calls === 1 ? first : then;
        return [{ address, family: (isIP(address) === 6 ? 6 : 4) as 4 | 6 }];
      },
      { calls: 0 },
    );
    return resolve;
  }

  it('refuses at send time a name that resolved public at registration and private now', async () => {
    const dns = rebinding('93.184.215.14', '127.0.0.1');
    const url = `http://rebind.test:${receiver.port}/hook`;
    await expect(checkTarget(url, HTTP_PUBLIC_ONLY, dns)).resolves.toMatchObject({ ok: true });
    const result = await postToTarget(url, '{}', {}, { policy: HTTP_PUBLIC_ONLY, timeoutMs: 2_000, resolve: dns });
    expect(result).toMatchObject({ ok: false, status: null });
    expect(result.error).toMatch(/^private_address: /);
    expect(dns.calls).toBe(2);
    expect(receiver.seen).toHaveLength(0);
  });

  it('refuses a rebinding to the metadata address even with allowPrivate', async () => {
    const dns = rebinding('127.0.0.1', '169.254.169.254');
    const url = `http://rebind.test:${receiver.port}/hook`;
    await expect(checkTarget(url, DEV, dns)).resolves.toMatchObject({ ok: true });
    const result = await postToTarget(url, '{}', {}, { policy: DEV, timeoutMs: 2_000, resolve: dns });
    expect(result.error).toMatch(/^link_local_or_metadata: /);
    expect(receiver.seen).toHaveLength(0);
  });
});

// ---------------------------------------------------------------------------------------------------
// TLS: the pinned socket still verifies the certificate for the URL's hostname
// ---------------------------------------------------------------------------------------------------

const haveOpenssl = spawnSync('openssl', ['version']).status === 0;

describe('postToTarget over TLS', () => {
  it('fails with a TLS error (no status) when the receiver does not speak TLS', async () => {
    const plain = await startReceiver((_req, res) => res.writeHead(200).end());
    try {
      const result = await postToTarget(`https://receiver.test:${plain.port}/`, '{}', {}, {
        policy: { httpsOnly: true, allowPrivate: true },
        timeoutMs: 2_000,
        resolve: fakeDns({ 'receiver.test': ['127.0.0.1'] }),
      });
      expect(result).toMatchObject({ ok: false, status: null });
      expect(result.error).toBeTruthy();
      expect(plain.seen).toHaveLength(0);
    } finally {
      await plain.close();
    }
  });

  (haveOpenssl ? it : it.skip)('sends SNI for the URL hostname and refuses a certificate it cannot verify', async () => {
    // A throwaway self-signed certificate for receiver.test, made for this run only.
    const dir = mkdtempSync(join(tmpdir(), 'vestline-safe-delivery-'));
    try {
      execFileSync('openssl', [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1',
        '-subj', '/CN=receiver.test', '-addext', 'subjectAltName=DNS:receiver.test',
      ], { stdio: 'ignore' });
      const sniNames: string[] = [];
      let requests = 0;
      const server = createTlsServer(
        {
          key: readFileSync(join(dir, 'key.pem')),
          cert: readFileSync(join(dir, 'cert.pem')),
          // Sees the servername the client sent, before the client judges the certificate.
          SNICallback: (name, cb) => {
            sniNames.push(name);
            cb(null, undefined);
          },
        },
        (_req, res) => {
          requests += 1;
          res.writeHead(200).end();
        },
      );
      server.on('tlsClientError', () => undefined);
      const sockets = trackSockets(server);
      const port = await listen(server);
      try {
        const result = await postToTarget(`https://receiver.test:${port}/hook`, '{}', {}, {
          policy: { httpsOnly: true, allowPrivate: true },
          timeoutMs: 3_000,
          resolve: fakeDns({ 'receiver.test': ['127.0.0.1'] }),
        });
        expect(result).toMatchObject({ ok: false, status: null });
        expect(result.error).toMatch(/self[- ]signed/i);
        expect(requests).toBe(0);
        expect(sniNames).toEqual(['receiver.test']);
      } finally {
        await closeServer(server, sockets);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
