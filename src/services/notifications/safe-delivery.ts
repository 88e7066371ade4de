/**
 * SSRF guard and the single HTTP attempt for merchant webhooks (domain.md, "Merchant notifications").
 *
 * A webhook URL is merchant input that makes OUR server open a connection, so a target is only used
 * when every address its host resolves to is a public unicast address:
 * - `checkTarget` parses the URL, resolves the host (all A and AAAA answers; IP literals as they are)
 *   and refuses if ANY address is in a refused range: an attacker who controls DNS can answer with one
 *   public and one private address and let the client pick.
 * - `postToTarget` checks again at send time (the answer may have changed since registration: DNS
 *   rebinding) and connects to a checked address only: the socket's `lookup` answers with that address,
 *   so Node never asks DNS a second time between the check and the connect. TLS still verifies the
 *   certificate for the URL's hostname (SNI `servername`). Redirects are never followed (a 3xx is just
 *   a non-2xx answer), one deadline covers DNS + connect + response, and at most 64 KiB of the response
 *   body is read.
 *
 * `allowPrivate` (WEBHOOK_ALLOW_PRIVATE_TARGETS=1) opens loopback and private ranges for development and
 * tests; link-local, cloud metadata and other never-legitimate ranges stay refused whatever it says.
 * Only node:dns, node:net, node:http and node:https: nothing else sits between the check and the socket.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage, type OutgoingHttpHeaders, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, isIPv4, isIPv6, type LookupFunction } from 'node:net';

export type TargetProblem =
  | 'invalid_url'
  | 'scheme_not_allowed'
  | 'credentials_in_url'
  | 'unresolvable'
  | 'private_address'
  | 'link_local_or_metadata';

export interface TargetPolicy {
  /** true in production: only `https:` URLs. */
  httpsOnly: boolean;
  /** WEBHOOK_ALLOW_PRIVATE_TARGETS=1: loopback and private ranges allowed (never link-local/metadata). */
  allowPrivate: boolean;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Resolves a host name to every address it has (A and AAAA). Injectable so tests can play DNS. */
export type ResolveHost = (host: string) => Promise<ResolvedAddress[]>;

export type TargetCheck =
  | { ok: true; url: URL; addresses: ResolvedAddress[] }
  | { ok: false; problem: TargetProblem; detail: string };

export interface DeliveryAttempt {
  /** true only for a 2xx answer. */
  ok: boolean;
  /** HTTP status when an answer arrived, else null (refused target, DNS, connect, TLS, timeout). */
  status: number | null;
  /** null when ok; otherwise a short description that never includes the response body or a header value. */
  error: string | null;
  durationMs: number;
  /** The first MAX_RESPONSE_BYTES of the response body, decoded as UTF-8 ('' when none). */
  responseSnippet: string;
}

export interface PostOptions {
  policy: TargetPolicy;
  /** Deadline for the whole attempt: the send-time DNS check, connect, TLS, request and response. */
  timeoutMs: number;
  resolve?: ResolveHost;
}

/** At most this much of a response body is read; the connection is dropped after that. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** DNS answers slower than this count as unresolvable (getaddrinfo has no timeout of its own). */
export const DNS_TIMEOUT_MS = 5_000;
const MAX_ERROR_CHARS = 300;

// ---------------------------------------------------------------------------------------------------
// Address ranges
// ---------------------------------------------------------------------------------------------------

/**
 * How one address is judged:
 * - `public`: allowed.
 * - `private`: refused unless `allowPrivate` (problem `private_address`).
 * - `forbidden`: refused always. `link_local_or_metadata` for link-local and cloud metadata endpoints,
 *   `private_address` for the other never-routable special-use ranges (unspecified, multicast,
 *   broadcast, reserved).
 */
export type AddressVerdict =
  | { verdict: 'public' }
  | { verdict: 'private'; range: string }
  | { verdict: 'forbidden'; problem: 'private_address' | 'link_local_or_metadata'; range: string };

type Rule = { cidr: string; range: string } & (
  | { verdict: 'private' }
  | { verdict: 'forbidden'; problem: 'private_address' | 'link_local_or_metadata' }
);

/** Checked in order, first match wins: the exact metadata hosts come before the wider ranges holding them. */
const V4_RULES: Rule[] = [
  // Refused always.
  { cidr: '0.0.0.0/8', verdict: 'forbidden', problem: 'private_address', range: '"this network" (RFC 1122 3.2.1.3; Linux connects 0.0.0.0 to the local host)' },
  { cidr: '169.254.0.0/16', verdict: 'forbidden', problem: 'link_local_or_metadata', range: 'link-local (RFC 3927), incl. 169.254.169.254 cloud metadata' },
  { cidr: '100.100.100.200/32', verdict: 'forbidden', problem: 'link_local_or_metadata', range: 'Alibaba Cloud metadata' },
  { cidr: '192.0.0.192/32', verdict: 'forbidden', problem: 'link_local_or_metadata', range: 'Oracle Cloud metadata' },
  // Public address space, but only ever the Azure host platform (WireServer) as seen from inside Azure.
  { cidr: '168.63.129.16/32', verdict: 'forbidden', problem: 'link_local_or_metadata', range: 'Azure platform endpoint (WireServer)' },
  { cidr: '224.0.0.0/4', verdict: 'forbidden', problem: 'private_address', range: 'multicast (RFC 5771)' },
  // Includes 255.255.255.255, the limited broadcast address (RFC 919, RFC 8190).
  { cidr: '240.0.0.0/4', verdict: 'forbidden', problem: 'private_address', range: 'reserved and broadcast (RFC 1112 4, RFC 919)' },
  // Refused unless allowPrivate.
  { cidr: '127.0.0.0/8', verdict: 'private', range: 'loopback (RFC 1122)' },
  { cidr: '10.0.0.0/8', verdict: 'private', range: 'private network (RFC 1918)' },
  { cidr: '172.16.0.0/12', verdict: 'private', range: 'private network (RFC 1918)' },
  { cidr: '192.168.0.0/16', verdict: 'private', range: 'private network (RFC 1918)' },
  { cidr: '100.64.0.0/10', verdict: 'private', range: 'carrier-grade NAT shared space (RFC 6598)' },
  { cidr: '192.0.0.0/24', verdict: 'private', range: 'IETF protocol assignments (RFC 6890)' },
  { cidr: '192.0.2.0/24', verdict: 'private', range: 'documentation TEST-NET-1 (RFC 5737)' },
  { cidr: '198.51.100.0/24', verdict: 'private', range: 'documentation TEST-NET-2 (RFC 5737)' },
  { cidr: '203.0.113.0/24', verdict: 'private', range: 'documentation TEST-NET-3 (RFC 5737)' },
  { cidr: '192.88.99.0/24', verdict: 'private', range: 'deprecated 6to4 relay anycast (RFC 7526)' },
  // Also what "fake-IP" DNS proxies hand out locally, so a dev setup may legitimately need it.
  { cidr: '198.18.0.0/15', verdict: 'private', range: 'benchmarking (RFC 2544)' },
];

const V6_RULES: Rule[] = [
  // Refused always.
  { cidr: '::/128', verdict: 'forbidden', problem: 'private_address', range: 'unspecified address (RFC 4291)' },
  { cidr: 'fe80::/10', verdict: 'forbidden', problem: 'link_local_or_metadata', range: 'link-local (RFC 4291)' },
  { cidr: 'fd00:ec2::254/128', verdict: 'forbidden', problem: 'link_local_or_metadata', range: 'AWS instance metadata (IPv6)' },
  { cidr: 'fd20:ce::254/128', verdict: 'forbidden', problem: 'link_local_or_metadata', range: 'Google Cloud metadata (IPv6)' },
  { cidr: 'ff00::/8', verdict: 'forbidden', problem: 'private_address', range: 'multicast (RFC 4291)' },
  // Refused unless allowPrivate.
  { cidr: '::1/128', verdict: 'private', range: 'loopback (RFC 4291)' },
  { cidr: 'fc00::/7', verdict: 'private', range: 'unique local (RFC 4193)' },
  { cidr: 'fec0::/10', verdict: 'private', range: 'deprecated site-local (RFC 3879)' },
  { cidr: '64:ff9b:1::/48', verdict: 'private', range: 'local-use NAT64 (RFC 8215)' },
  // Teredo (2001::/32), ORCHID, benchmarking, AMT, AS112: tunnels and infrastructure, never a receiver.
  { cidr: '2001::/23', verdict: 'private', range: 'IETF protocol assignments incl. Teredo (RFC 2928, RFC 4380)' },
  { cidr: '2001:db8::/32', verdict: 'private', range: 'documentation (RFC 3849)' },
  { cidr: '3fff::/20', verdict: 'private', range: 'documentation (RFC 9637)' },
];

interface V4Rule { base: number; mask: number; rule: Rule }
interface V6Rule { base: bigint; mask: bigint; rule: Rule }

const ALL_128 = (1n << 128n) - 1n;

const V4_TABLE: V4Rule[] = V4_RULES.map((rule) => {
  const [ip, bits] = splitCidr(rule.cidr);
  const mask = bits === 0 ? 0 : (~0 << (32 - bits)) >>> 0;
  return { base: (parseIPv4(ip)! & mask) >>> 0, mask, rule };
});

const V6_TABLE: V6Rule[] = V6_RULES.map((rule) => {
  const [ip, bits] = splitCidr(rule.cidr);
  const mask = (ALL_128 << BigInt(128 - bits)) & ALL_128;
  return { base: parseIPv6(ip)! & mask, mask, rule };
});

function splitCidr(cidr: string): [string, number] {
  const slash = cidr.indexOf('/');
  return [cidr.slice(0, slash), Number(cidr.slice(slash + 1))];
}

function parseIPv4(s: string): number | null {
  if (!isIPv4(s)) return null;
  const [a, b, c, d] = s.split('.').map(Number) as [number, number, number, number];
  return ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
}

/** 128-bit value of an IPv6 address (zone id dropped; a trailing dotted quad is allowed). */
function parseIPv6(input: string): bigint | null {
  const zone = input.indexOf('%');
  const s = zone >= 0 ? input.slice(0, zone) : input;
  if (!isIPv6(s)) return null;
  let head = s;
  const tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = parseIPv4(s.slice(lastColon + 1));
    if (v4 === null) return null;
    tail.push(v4 >>> 16, v4 & 0xffff);
    head = s.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const halves = head.split('::');
  const toGroups = (part: string | undefined) => (part ? part.split(':').map((g) => parseInt(g, 16)) : []);
  const left = toGroups(halves[0]);
  const right = toGroups(halves[1]);
  const fill = halves.length > 1 ? 8 - tail.length - left.length - right.length : 0;
  const groups = [...left, ...new Array<number>(fill).fill(0), ...right, ...tail];
  if (groups.length !== 8 || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return null;
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n);
}

function inV6(v: bigint, cidr: string): boolean {
  const [ip, bits] = splitCidr(cidr);
  const mask = (ALL_128 << BigInt(128 - bits)) & ALL_128;
  return (v & mask) === (parseIPv6(ip)! & mask);
}

const RANK = { public: 0, private: 1, forbidden: 2 } as const;

function stricter(a: AddressVerdict, b: AddressVerdict): AddressVerdict {
  return RANK[b.verdict] > RANK[a.verdict] ? b : a;
}

function fromRule(rule: Rule): AddressVerdict {
  return rule.verdict === 'private'
    ? { verdict: 'private', range: rule.range }
    : { verdict: 'forbidden', problem: rule.problem, range: rule.range };
}

function classifyV4(v: number): AddressVerdict {
  for (const r of V4_TABLE) if (((v & r.mask) >>> 0) === r.base) return fromRule(r.rule);
  return { verdict: 'public' };
}

function classifyV6(v: bigint): AddressVerdict {
  const low32 = Number(v & 0xffffffffn);
  // Forms that carry an IPv4 address and reach it: judged by that address, so ::ffff:127.0.0.1 is
  // loopback and ::ffff:169.254.169.254 is metadata.
  if (inV6(v, '::ffff:0:0/96')) return classifyV4(low32); // IPv4-mapped (RFC 4291 2.5.5.2)
  if (inV6(v, '::ffff:0:0:0/96')) return classifyV4(low32); // IPv4-translated (RFC 2765)
  if (inV6(v, '64:ff9b::/96')) return classifyV4(low32); // NAT64 well-known prefix (RFC 6052)
  for (const r of V6_TABLE) if ((v & r.mask) === r.base) return fromRule(r.rule);
  // 6to4 (RFC 3056, deprecated by RFC 7526): the embedded IPv4 is where the relay delivers.
  if (inV6(v, '2002::/16')) {
    const embedded = classifyV4(Number((v >> 80n) & 0xffffffffn));
    return stricter({ verdict: 'private', range: 'deprecated 6to4 (RFC 3056, RFC 7526)' }, embedded);
  }
  // Only 2000::/3 is allocated for global unicast (RFC 4291 2.4). Anything else left over (IPv4-compatible
  // ::a.b.c.d, 100::/64 discard, SRv6 SIDs, unassigned space) is never a webhook receiver.
  if (!inV6(v, '2000::/3')) {
    return { verdict: 'forbidden', problem: 'private_address', range: 'reserved, not global unicast (RFC 4291 2.4)' };
  }
  return { verdict: 'public' };
}

/** Judges one IP address (IPv4, IPv6, IPv4-mapped IPv6; an IPv6 zone id is ignored). Throws on a non-IP string. */
export function classifyAddress(address: string): AddressVerdict {
  const v4 = parseIPv4(address);
  if (v4 !== null) return classifyV4(v4);
  const v6 = parseIPv6(address);
  if (v6 !== null) return classifyV6(v6);
  throw new TypeError('not an IP address');
}

// ---------------------------------------------------------------------------------------------------
// checkTarget
// ---------------------------------------------------------------------------------------------------

/** getaddrinfo, as Node's own connect would use (hosts file included), every A and AAAA answer. */
const systemResolve: ResolveHost = async (host) => {
  const answers = await dnsLookup(host, { all: true, order: 'verbatim' });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

function refuse(problem: TargetProblem, detail: string): TargetCheck {
  return { ok: false, problem, detail };
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error(`${what} timed out after ${ms} ms`), { code: 'ETIMEOUT' })), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** Host as a connect() argument: IPv6 literals lose their brackets. */
function bareHost(url: URL): string {
  const h = url.hostname;
  return h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h;
}

/**
 * Parses and checks a webhook URL: scheme (https, or http when !httpsOnly), no userinfo, resolves the
 * host (all A and AAAA records; IP literals too) and refuses if ANY address is in a refused range.
 * Returns the addresses to pin the connection to. Details name the host and the range, never the full
 * URL (its query may hold a token) nor the private address a name resolved to (no mapping of our
 * internal DNS through registration errors).
 */
export async function checkTarget(url: string, policy: TargetPolicy, resolve: ResolveHost = systemResolve): Promise<TargetCheck> {
  return checkTargetWithin(url, policy, resolve, DNS_TIMEOUT_MS);
}

async function checkTargetWithin(url: string, policy: TargetPolicy, resolve: ResolveHost, dnsTimeoutMs: number): Promise<TargetCheck> {
  let parsed: URL;
  try {
    if (typeof url !== 'string') throw new TypeError('not a string');
    parsed = new URL(url);
  } catch {
    return refuse('invalid_url', 'not an absolute URL');
  }
  if (parsed.protocol !== 'https:' && !(parsed.protocol === 'http:' && !policy.httpsOnly)) {
    return refuse('scheme_not_allowed', policy.httpsOnly ? 'only https URLs are allowed' : 'only http and https URLs are allowed');
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return refuse('credentials_in_url', 'user name or password in the URL; put credentials in the webhook secret instead');
  }
  const host = bareHost(parsed);
  if (host === '') return refuse('invalid_url', 'no host');

  let addresses: ResolvedAddress[];
  const literal = isIP(host);
  if (literal) {
    // WHATWG URL already normalised 0x7f.1, 2130706433 and friends to dotted quads.
    addresses = [{ address: host, family: literal === 6 ? 6 : 4 }];
  } else {
    let answers: ResolvedAddress[];
    try {
      answers = await withDeadline(resolve(host), dnsTimeoutMs, 'DNS lookup');
    } catch (e) {
      const code = (e as { code?: unknown }).code;
      return refuse('unresolvable', `${host} did not resolve${typeof code === 'string' ? ` (${code})` : ''}`);
    }
    addresses = [];
    for (const a of Array.isArray(answers) ? answers : []) {
      const family = typeof a?.address === 'string' ? isIP(a.address) : 0;
      // Garbage from a resolver is a resolution failure, never something to connect to.
      if (family === 0) return refuse('unresolvable', `${host} resolved to something that is not an IP address`);
      if (!addresses.some((x) => x.address === a.address)) addresses.push({ address: a.address, family: family === 6 ? 6 : 4 });
    }
    if (addresses.length === 0) return refuse('unresolvable', `${host} has no A or AAAA record`);
  }

  // Every address must pass: a name answering with one public and one private address is refused.
  let privateHit: { address: string; range: string } | null = null;
  for (const a of addresses) {
    const v = classifyAddress(a.address);
    const shown = literal ? a.address : 'an address';
    if (v.verdict === 'forbidden') return refuse(v.problem, `${host} resolves to ${shown} in ${v.range}, refused always`);
    if (v.verdict === 'private' && !policy.allowPrivate && !privateHit) privateHit = { address: shown, range: v.range };
  }
  if (privateHit) {
    return refuse('private_address', `${host} resolves to ${privateHit.address} in ${privateHit.range}, refused unless WEBHOOK_ALLOW_PRIVATE_TARGETS=1`);
  }
  return { ok: true, url: parsed, addresses };
}

// ---------------------------------------------------------------------------------------------------
// postToTarget
// ---------------------------------------------------------------------------------------------------

/** Set by postToTarget itself (or meaningless for a single pinned POST): a caller's value is dropped. */
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect', 'proxy-connection']);

function describeError(e: unknown): string {
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err?.code === 'string' ? err.code : null;
  const message = typeof err?.message === 'string' ? err.message : String(e);
  const text = code && !message.includes(code) ? `${code}: ${message}` : message;
  return text.length > MAX_ERROR_CHARS ? `${text.slice(0, MAX_ERROR_CHARS)}…` : text;
}

/**
 * Checks the target again (DNS may have changed since registration: rebinding) and POSTs `body` with
 * `headers` to the first checked address, the socket pinned to it; never follows redirects; one
 * `timeoutMs` deadline for the whole attempt; reads at most MAX_RESPONSE_BYTES of the answer. Never
 * throws for anything the target or the network does: the outcome is in the result.
 */
export async function postToTarget(url: string, body: string, headers: Record<string, string>, opts: PostOptions): Promise<DeliveryAttempt> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const timeoutMs = opts.timeoutMs;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError('timeoutMs must be a positive number');
  const failed = (error: string): DeliveryAttempt => ({ ok: false, status: null, error, durationMs: elapsed(), responseSnippet: '' });
  const timedOut = () => failed(`timed out after ${timeoutMs} ms`);

  let check: TargetCheck;
  try {
    check = await withDeadline(checkTargetWithin(url, opts.policy, opts.resolve ?? systemResolve, Math.min(DNS_TIMEOUT_MS, timeoutMs)), timeoutMs, 'target check');
  } catch {
    return timedOut();
  }
  if (!check.ok) return failed(`${check.problem}: ${check.detail}`);
  const remaining = timeoutMs - (performance.now() - started);
  if (remaining <= 0) return timedOut();

  const target = check.url;
  const pin = check.addresses[0]!;
  const host = bareHost(target);
  const https = target.protocol === 'https:';

  // Node calls lookup with `all: true` when autoSelectFamily is on (the default), else without; both
  // answer with the checked address only.
  const pinnedLookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: pin.address, family: pin.family }]);
    else callback(null, pin.address, pin.family);
  };

  const outHeaders: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!RESERVED_HEADERS.has(name.toLowerCase())) outHeaders[name] = value;
  }
  const payload = Buffer.from(body, 'utf8');
  outHeaders['host'] = target.host; // the URL's name (and non-default port), not the pinned address
  outHeaders['content-length'] = payload.length;
  outHeaders['connection'] = 'close';

  const options: RequestOptions & { servername?: string; rejectUnauthorized?: boolean } = {
    method: 'POST',
    hostname: host,
    port: target.port === '' ? (https ? 443 : 80) : Number(target.port),
    path: `${target.pathname}${target.search}`,
    headers: outHeaders,
    // A fresh connection per attempt: no pooled socket chosen by host name, no keep-alive.
    agent: false,
    lookup: pinnedLookup,
  };
  if (https) {
    // Certificate checked against the URL's hostname even though the socket goes to the pinned address.
    // An IP literal gets no SNI (RFC 6066 3) and is checked against the certificate's IP SANs.
    options.servername = isIP(host) ? '' : host;
    options.rejectUnauthorized = true;
  }

  return new Promise<DeliveryAttempt>((settle) => {
    let done = false;
    let response: IncomingMessage | null = null;
    const chunks: Buffer[] = [];
    let received = 0;

    const finish = (result: DeliveryAttempt) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      settle(result);
      // Whatever is left (an unread body, a half-open socket) is of no use.
      req.destroy();
    };
    const answered = (): DeliveryAttempt => {
      const status = response!.statusCode ?? 0;
      const ok = status >= 200 && status <= 299;
      const error = ok ? null : status >= 300 && status <= 399 ? `HTTP ${status} (redirects are not followed)` : `HTTP ${status}`;
      const responseSnippet = new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks, received));
      return { ok, status, error, durationMs: elapsed(), responseSnippet };
    };

    // After the status line arrived the receiver has answered: a body still trickling in when the
    // deadline hits does not turn a 2xx into a failure.
    const timer = setTimeout(() => finish(response ? answered() : timedOut()), remaining);

    let req: ReturnType<typeof httpRequest>;
    try {
      req = (https ? httpsRequest : httpRequest)(options);
    } catch (e) {
      clearTimeout(timer);
      done = true;
      settle(failed(describeError(e))); // e.g. a header value with a control character
      return;
    }
    req.on('error', (e) => finish(response ? answered() : failed(describeError(e))));
    req.on('response', (res) => {
      response = res;
      res.on('data', (chunk: Buffer) => {
        if (done) return;
        const take = Math.min(chunk.length, MAX_RESPONSE_BYTES - received);
        if (take > 0) {
          chunks.push(take === chunk.length ? chunk : chunk.subarray(0, take));
          received += take;
        }
        if (received >= MAX_RESPONSE_BYTES) finish(answered());
      });
      res.on('end', () => finish(answered()));
      res.on('error', () => finish(answered()));
      res.on('close', () => finish(answered()));
    });
    req.end(payload);
  });
}
