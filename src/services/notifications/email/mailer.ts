import { connect } from 'node:net';
import { domainToASCII } from 'node:url';
import nodemailer from 'nodemailer';
import { parseConnectionUrl } from 'nodemailer/lib/shared/index.js';
import SMTPTransport from 'nodemailer/lib/smtp-transport/index.js';

/**
 * The e-mail channel: one message to one customer over SMTP (`SMTP_URL`, `smtp://` or `smtps://`,
 * credentials and nodemailer options such as `?requireTLS=true` in the URL). A send either hands the
 * message to the server (250 after DATA) or throws an EmailDeliveryError, so the outbox can retry
 * it; the Message-ID comes from the caller's id, so every attempt of one notification carries the
 * same Message-ID and a receiver that already has it can drop the duplicate.
 */
export interface Mailer {
  /**
   * `signal` aborts the send: its connection is destroyed, so nothing more is sent on it. SMTP is still
   * at-least-once: a server may accept a message whose reply never reached us, and a retry then
   * delivers a second copy, with the same Message-ID.
   */
  send(to: string, message: { subject: string; text: string; html: string }, opts: { messageId: string; signal?: AbortSignal }): Promise<void>;
  /** Aborts the sends in flight (shutdown) and refuses new ones. */
  close(): void;
}

/**
 * Why a send failed. `permanent`: this message will never go through as it is (a 5xx reply to it,
 * an invalid address); retrying it is pointless. Everything else (no connection, a timeout, a 4xx
 * such as 451, a rejected login that an operator can fix) may work on a later attempt. The message
 * names the server (host:port) and its reply, never the SMTP credentials or the recipient (cut from
 * the reply too: it goes to logs and the audit log). It has no `cause`: nodemailer's error holds the
 * reply and the rejected address unredacted.
 */
export class EmailDeliveryError extends Error {
  readonly permanent: boolean;
  /** The SMTP reply code, when the server answered (451, 550…). */
  readonly responseCode?: number;
  /** nodemailer's error code: ECONNECTION, ETIMEDOUT, ESOCKET, EAUTH, EENVELOPE, EMESSAGE… */
  readonly code?: string;

  constructor(message: string, opts: { permanent: boolean; responseCode?: number; code?: string }) {
    super(message);
    this.name = 'EmailDeliveryError';
    this.permanent = opts.permanent;
    if (opts.responseCode !== undefined) this.responseCode = opts.responseCode;
    if (opts.code !== undefined) this.code = opts.code;
  }
}

// Minimal, on purpose: one mailbox, no display name, no comments, no group or list syntax (a comma or
// semicolon would make it several recipients), no whitespace or control characters (header injection).
const SPECIAL = String.raw`\u0000-\u0020\u007f<>()[\]\\,;:"@`;
const MAILBOX = new RegExp(`^[^${SPECIAL}]{1,64}@[^${SPECIAL}.]+(?:\\.[^${SPECIAL}.]+)+$`, 'u');
// RFC 5322 dot-atom: what may stand on either side of the @ of a Message-ID.
const DOT_ATOM = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;

function isMailbox(address: string): boolean {
  return address.length <= 254 && MAILBOX.test(address);
}

/** `"Name" <addr>`, `Name <addr>` or `addr`: the address and its domain in ASCII (for Message-IDs). */
function parseFrom(from: string): { address: string; domain: string } {
  const m = /^\s*(?:[^<>\r\n]*?\s*)?<([^<>]+)>\s*$/.exec(from);
  const address = (m ? m[1]! : from).trim();
  if (!isMailbox(address)) throw new Error('e-mail: the From address is not a valid e-mail address');
  const domain = domainToASCII(address.slice(address.lastIndexOf('@') + 1)).toLowerCase();
  if (!DOT_ATOM.test(domain)) throw new Error('e-mail: the From address has a domain that cannot be used in a Message-ID');
  return { address, domain };
}

/**
 * The Message-ID header for the caller's id: `<id@from-domain>` for a bare id (an outbox row id, a
 * UUID), or the id itself when it already is `local@domain` (with or without the angle brackets).
 * Deterministic, so a retry carries the same header.
 */
export function messageIdFor(id: string, fromDomain: string): string {
  const bare = id.startsWith('<') && id.endsWith('>') ? id.slice(1, -1) : id;
  const at = bare.lastIndexOf('@');
  const ok = bare.length > 0 && bare.length <= 250 && (at === -1 ? DOT_ATOM.test(bare) : DOT_ATOM.test(bare.slice(0, at)) && DOT_ATOM.test(bare.slice(at + 1)));
  if (!ok) throw new EmailDeliveryError('e-mail: the message id may hold only letters, digits and . _ - + = (and one @)', { permanent: true });
  return at === -1 ? `<${bare}@${fromDomain}>` : `<${bare}>`;
}

interface NodemailerError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
}

/**
 * Creates the SMTP channel. Throws at once on a URL that is not smtp:// or smtps://, a bad From or a
 * bad timeout (the error never repeats the URL: it may hold a password). The connection, the
 * greeting, each reply and the DNS lookup each wait at most `timeoutMs`, also when the URL's query
 * sets other timeouts. One connection per message (nodemailer's plain SMTP transport): a failure of
 * one message cannot leave a pooled connection in a state that fails the next.
 */
export function createMailer(smtpUrl: string, opts: { from: string; timeoutMs: number }): Mailer {
  let url: URL;
  try {
    url = new URL(smtpUrl);
  } catch {
    throw new Error('SMTP_URL is not a URL (expected smtp://user:password@host:port or smtps://…)');
  }
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new Error(`SMTP_URL must start with smtp:// or smtps://, not ${url.protocol}//`);
  if (!url.hostname) throw new Error('SMTP_URL has no host');
  if (!Number.isFinite(opts.timeoutMs) || opts.timeoutMs <= 0) throw new Error('e-mail: timeoutMs must be a positive number of milliseconds');
  const from = parseFrom(opts.from);

  const options: SMTPTransport.Options = {
    ...parseConnectionUrl(smtpUrl),
    connectionTimeout: opts.timeoutMs,
    greetingTimeout: opts.timeoutMs,
    socketTimeout: opts.timeoutMs,
    dnsTimeout: opts.timeoutMs,
  };
  const secrets = [options.auth?.user, options.auth && 'pass' in options.auth ? options.auth.pass : undefined, url.username, url.password].filter(
    (s): s is string => typeof s === 'string' && s.length >= 3,
  );
  const port = Number(options.port ?? (options.secure ? 465 : 587));
  const server = `${options.host}:${port}`;
  let closed = false;
  const closing = new AbortController();

  /**
   * One connection per message, opened here and handed to nodemailer (which still does TLS, STARTTLS,
   * login and the timeouts of each step), so a send can be aborted: destroying the socket ends it.
   * Always the SMTP transport itself, never what a URL query like `?sendmail=true` or `?pool=true`
   * would pick.
   */
  const transportFor = (signal: AbortSignal) => {
    const getSocket: SMTPTransport.Options['getSocket'] = (_o, callback) => {
      const socket = connect({ host: options.host, port });
      const abort = () => socket.destroy(Object.assign(new Error('the send was aborted'), { code: 'EABORTED' }));
      if (signal.aborted) abort();
      signal.addEventListener('abort', abort, { once: true });
      socket.once('close', () => signal.removeEventListener('abort', abort));
      const timer = setTimeout(() => socket.destroy(Object.assign(new Error(`connection timed out after ${opts.timeoutMs} ms`), { code: 'ETIMEDOUT' })), opts.timeoutMs);
      const failed = (err: Error) => {
        clearTimeout(timer);
        callback(err, false);
      };
      socket.once('error', failed);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeListener('error', failed);
        callback(null, { connection: socket });
      });
    };
    return nodemailer.createTransport(new SMTPTransport({ ...options, getSocket }));
  };

  const redact = (s: string) => secrets.reduce((acc, secret) => acc.split(secret).join('***'), s);
  /**
   * A server's reply may quote the recipient (550 5.1.1 <ada@…>), in any case: its address and mailbox
   * name are cut from the text, which goes to logs and the audit log.
   */
  const withoutRecipient = (s: string, to: string) => {
    const parts = [to, to.slice(0, to.lastIndexOf('@'))].filter((p) => p.length >= 2).map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    return parts.reduce((acc, p) => acc.replace(new RegExp(p, 'giu'), '***'), s);
  };

  const failure = (e: unknown, recipient: string): EmailDeliveryError => {
    const err = (e instanceof Error ? e : new Error(String(e))) as NodemailerError;
    const responseCode = typeof err.responseCode === 'number' ? err.responseCode : undefined;
    // A 5xx to this message is final; a 5xx to the login is a configuration problem an operator fixes.
    const permanent = responseCode !== undefined && responseCode >= 500 && responseCode < 600 && err.code !== 'EAUTH';
    const detail = withoutRecipient(redact(err.message || 'unknown error'), recipient);
    return new EmailDeliveryError(`e-mail via ${server} failed${err.code ? ` (${err.code})` : ''}: ${detail}`, {
      permanent,
      ...(responseCode !== undefined ? { responseCode } : {}),
      ...(err.code ? { code: err.code } : {}),
    });
  };

  return {
    async send(to, message, { messageId, signal }) {
      if (closed) throw new EmailDeliveryError('e-mail: the mailer is closed', { permanent: false });
      const recipient = typeof to === 'string' ? to.trim() : '';
      if (!isMailbox(recipient)) throw new EmailDeliveryError('e-mail: the recipient is not a valid e-mail address', { permanent: true });
      const id = messageIdFor(messageId, from.domain);
      let info: SMTPTransport.SentMessageInfo;
      const transport = transportFor(signal ? AbortSignal.any([signal, closing.signal]) : closing.signal);
      try {
        info = await transport.sendMail({
          from: opts.from,
          to: recipient,
          // The envelope is exactly this one mailbox, whatever the headers would parse to.
          envelope: { from: from.address, to: [recipient] },
          subject: message.subject,
          text: message.text,
          html: message.html,
          messageId: id,
          headers: { 'Auto-Submitted': 'auto-generated' }, // RFC 3834: no vacation auto-replies back to us
          disableFileAccess: true,
          disableUrlAccess: true,
        });
      } catch (e) {
        if (closing.signal.aborted) throw new EmailDeliveryError(`e-mail via ${server} aborted: the mailer closed (shutdown)`, { permanent: false, code: 'EABORTED' });
        if (signal?.aborted) throw new EmailDeliveryError(`e-mail via ${server} aborted: it did not finish in time`, { permanent: false, code: 'EABORTED' });
        throw failure(e, recipient);
      } finally {
        transport.close();
      }
      if (info.rejected.length > 0 || info.accepted.length === 0) {
        throw new EmailDeliveryError(`e-mail via ${server} failed: the recipient was not accepted (${withoutRecipient(redact(info.response ?? ''), recipient)})`, { permanent: true });
      }
    },
    close() {
      closed = true;
      closing.abort();
    },
  };
}
