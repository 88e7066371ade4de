import { createServer, type AddressInfo, type Socket } from 'node:net';
import { SMTPServer } from 'smtp-server';

/**
 * A real SMTP server (the `smtp-server` package) on 127.0.0.1 that records what arrives, parsed
 * just enough to check it (headers, RFC 2047 words, multipart bodies, quoted-printable and base64):
 * `mailparser` is not a dependency. It can be told to refuse the next messages (451 or 550 after
 * DATA) and to require a login.
 */

export interface MimePart {
  headers: Map<string, string[]>;
  contentType: string;
  params: Record<string, string>;
  /** The decoded body (transfer encoding undone, charset applied); empty for a multipart. */
  body: string;
  parts: MimePart[];
}

export interface ReceivedMessage {
  envelope: { mailFrom: string | undefined; rcptTo: string[] };
  /** The login the client used, if any. */
  user: string | undefined;
  raw: string;
  /** A header's first value with encoded words decoded, or undefined. */
  header(name: string): string | undefined;
  headers: Map<string, string[]>;
  subject: string | undefined;
  /** The text/plain and text/html parts (their first of each), decoded. */
  text: string | undefined;
  html: string | undefined;
  root: MimePart;
}

export interface SmtpReceiver {
  port: number;
  /** smtp://127.0.0.1:port (with the login when the receiver requires one). */
  url: string;
  messages: ReceivedMessage[];
  /** The messages refused so far (they arrived in full, then got the refusal after DATA). */
  refused: ReceivedMessage[];
  /** Refuses the next `count` messages after DATA with `code` (451: try later, 550: never). */
  refuseNext(count: number, code?: 451 | 550, text?: string): void;
  /** Resolves once `count` messages have arrived; rejects after `ms`. */
  waitFor(count: number, ms?: number): Promise<ReceivedMessage[]>;
  close(): Promise<void>;
}

export async function startSmtpReceiver(opts: { auth?: { user: string; pass: string } } = {}): Promise<SmtpReceiver> {
  const messages: ReceivedMessage[] = [];
  const refusals: { code: number; text: string }[] = [];
  const waiters = new Set<() => void>();
  const refused: ReceivedMessage[] = [];

  const server = new SMTPServer({
    logger: false,
    disabledCommands: opts.auth ? ['STARTTLS'] : ['STARTTLS', 'AUTH'],
    authOptional: !opts.auth,
    allowInsecureAuth: true, // plain TCP on loopback, for the test only
    closeTimeout: 1000,
    disableReverseLookup: true,
    onAuth(auth, _session, callback) {
      if (opts.auth && auth.username === opts.auth.user && auth.password === opts.auth.pass) return callback(null, { user: auth.username });
      const err = Object.assign(new Error('Authentication failed'), { responseCode: 535 });
      callback(err);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('latin1');
        const mailFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : undefined;
        const message = parseMessage(raw, { mailFrom, rcptTo: session.envelope.rcptTo.map((r) => r.address) }, typeof session.user === 'string' ? session.user : undefined);
        const refusal = refusals.shift();
        if (refusal) {
          refused.push(message);
          return callback(Object.assign(new Error(refusal.text), { responseCode: refusal.code }));
        }
        messages.push(message);
        for (const w of waiters) w();
        callback(null, 'Queued');
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  const port = (server.server.address() as AddressInfo).port;
  const login = opts.auth ? `${encodeURIComponent(opts.auth.user)}:${encodeURIComponent(opts.auth.pass)}@` : '';

  return {
    port,
    url: `smtp://${login}127.0.0.1:${port}`,
    messages,
    refused,
    refuseNext(count, code = 451, text = code === 451 ? 'Requested action aborted: try again later' : 'Mailbox unavailable') {
      for (let i = 0; i < count; i++) refusals.push({ code, text });
    },
    waitFor(count, ms = 5000) {
      return new Promise((ok, fail) => {
        const check = () => {
          if (messages.length < count) return;
          cleanup();
          ok(messages.slice(0, count));
        };
        const timer = setTimeout(() => {
          cleanup();
          fail(new Error(`expected ${count} messages within ${ms} ms, got ${messages.length}`));
        }, ms);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close() {
      return new Promise((ok) => server.close(() => ok()));
    },
  };
}

/** A TCP server that accepts connections and never says anything: an SMTP server that hangs. */
export async function startSilentServer(): Promise<{ port: number; openConnections(): number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    port: (server.address() as AddressInfo).port,
    openConnections: () => sockets.size,
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((ok) => server.close(() => ok()));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

// ---- minimal MIME parsing (the raw message is held as latin1, one char per byte) ----

function parseHeaders(block: string): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  const unfolded = block.replace(/\r\n([ \t])/g, '$1');
  for (const line of unfolded.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers.set(name, [...(headers.get(name) ?? []), value]);
  }
  return headers;
}

function splitHead(raw: string): [string, string] {
  const i = raw.indexOf('\r\n\r\n');
  return i === -1 ? [raw, ''] : [raw.slice(0, i), raw.slice(i + 4)];
}

function parseContentType(value: string | undefined): { type: string; params: Record<string, string> } {
  const [type = 'text/plain', ...rest] = (value ?? 'text/plain').split(';');
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq === -1) continue;
    params[p.slice(0, eq).trim().toLowerCase()] = p
      .slice(eq + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
  }
  return { type: type.trim().toLowerCase(), params };
}

function bytes(latin1: string): Buffer {
  return Buffer.from(latin1, 'latin1');
}

function decodeQuotedPrintable(s: string): Buffer {
  const soft = s.replace(/=\r?\n/g, '');
  const out: number[] = [];
  for (let i = 0; i < soft.length; i++) {
    const hex = soft.slice(i + 1, i + 3);
    if (soft[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      out.push(parseInt(hex, 16));
      i += 2;
    } else out.push(soft.charCodeAt(i));
  }
  return Buffer.from(out);
}

function decodeBody(body: string, encoding: string | undefined, charset: string | undefined): string {
  const enc = (encoding ?? '7bit').toLowerCase();
  const buf = enc === 'base64' ? Buffer.from(body.replace(/\s+/g, ''), 'base64') : enc === 'quoted-printable' ? decodeQuotedPrintable(body) : bytes(body);
  return new TextDecoder(charset ?? 'utf-8').decode(buf);
}

/** RFC 2047 encoded words (=?utf-8?Q?…?= and =?utf-8?B?…?=); whitespace between two of them is dropped. */
export function decodeWords(value: string): string {
  const word = /=\?([^?]+)\?([BbQq])\?([^?]*)\?=/g;
  return value.replace(/(=\?[^?]+\?[BbQq]\?[^?]*\?=)\s+(?==\?)/g, '$1').replace(word, (_m, charset: string, enc: string, data: string) => {
    const buf = enc.toUpperCase() === 'B' ? Buffer.from(data, 'base64') : decodeQuotedPrintable(data.replace(/_/g, ' '));
    return new TextDecoder(charset).decode(buf);
  });
}

function parsePart(raw: string): MimePart {
  const [head, body] = splitHead(raw);
  const headers = parseHeaders(head);
  const { type, params } = parseContentType(headers.get('content-type')?.[0]);
  if (type.startsWith('multipart/') && params.boundary) {
    const delimiter = `--${params.boundary}`;
    const sections = body.split(new RegExp(`(?:^|\\r\\n)${delimiter.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    // sections[0] is the preamble; the one starting with "--" is the close delimiter and epilogue.
    const parts = sections
      .slice(1)
      .filter((s) => !s.startsWith('--'))
      .map((s) => parsePart(s.replace(/^[ \t]*\r\n/, '')));
    return { headers, contentType: type, params, body: '', parts };
  }
  return { headers, contentType: type, params, body: decodeBody(body, headers.get('content-transfer-encoding')?.[0], params.charset), parts: [] };
}

function firstOfType(part: MimePart, type: string): MimePart | undefined {
  if (part.contentType === type) return part;
  for (const p of part.parts) {
    const found = firstOfType(p, type);
    if (found) return found;
  }
  return undefined;
}

export function parseMessage(raw: string, envelope: { mailFrom: string | undefined; rcptTo: string[] }, user?: string): ReceivedMessage {
  const root = parsePart(raw);
  const header = (name: string) => {
    const v = root.headers.get(name.toLowerCase())?.[0];
    return v === undefined ? undefined : decodeWords(new TextDecoder('utf-8').decode(bytes(v)));
  };
  return {
    envelope,
    user,
    raw,
    header,
    headers: root.headers,
    subject: header('subject'),
    text: firstOfType(root, 'text/plain')?.body,
    html: firstOfType(root, 'text/html')?.body,
    root,
  };
}
