import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { createMailer, EmailDeliveryError, type Mailer } from '../../../src/services/notifications/email/mailer.js';
import { EMAIL_EVENTS, renderEmail, type EmailData, type EmailEvent } from '../../../src/services/notifications/email/templates.js';
import { closedPort, startSilentServer, startSmtpReceiver, type ReceivedMessage, type SmtpReceiver } from '../../support/smtp-receiver.js';

/**
 * The e-mail channel against a real SMTP server (smtp-server on 127.0.0.1, started here): what
 * nodemailer hands over is parsed back from the wire and checked, and the server refuses, hangs or
 * is absent when a test needs it to.
 */

const FROM = 'Vestline <no-reply@vestline.example>';
const CUSTOMER = 'ada@customer.example';
const TIMEOUT_MS = 1000;
const EVIL_SITE = 'Acme <script>alert("x")</script> & Co';
const EVIL_SITE_HTML = 'Acme &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co';
const REF = 'VL-7K2M9QX4D1BA';
const TX = '0x9f2c4e1b7a3d5c6e8f0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6';

const DATA: Record<EmailEvent, EmailData> = {
  'order.paid': { siteName: 'Acme Token Sale', customerEmail: CUSTOMER, reference: REF, amount: '1234.567890', symbol: 'USDT', tokenAmount: '24691.3578', tokenSymbol: 'ACME', unlockAt: '2027-01-01T00:00:00.000Z' },
  'order.expired': { siteName: 'Acme Token Sale', customerEmail: CUSTOMER, reference: REF, amount: '100.000000', symbol: 'USDT' },
  'order.underpaid': { siteName: 'Acme Token Sale', customerEmail: CUSTOMER, reference: REF, amountReceived: '60.500000', amountExpected: '100.000000', symbol: 'USDT' },
  'release.released': { siteName: 'Acme Token Sale', customerEmail: CUSTOMER, reference: REF, tokenAmount: '2469.13578', tokenSymbol: 'ACME', txHash: TX, unlockAt: '2027-05-01T00:00:00Z' },
};

const SUBJECTS: Record<EmailEvent, string> = {
  'order.paid': `Payment received for order ${REF} – Acme Token Sale`,
  'order.expired': `Order ${REF} has expired – Acme Token Sale`,
  'order.underpaid': `Payment incomplete for order ${REF} – Acme Token Sale`,
  'release.released': `Tokens released for order ${REF} – Acme Token Sale`,
};

/** What each e-mail must show, in the text and (escaped) in the HTML. */
const SHOWN: Record<EmailEvent, string[]> = {
  'order.paid': [REF, '1234.567890 USDT', '24691.3578 ACME', '2027-01-01 00:00 UTC', 'vesting plan'],
  'order.expired': [REF, '100.000000 USDT', 'do not send any payment', 'place a new order'],
  'order.underpaid': [REF, '60.500000 USDT', '100.000000 USDT', 'do not send the difference'],
  'release.released': [REF, '2469.13578 ACME', TX, '2027-05-01 00:00 UTC', 'block explorer'],
};

let receiver: SmtpReceiver;
let mailer: Mailer;
const opened: Mailer[] = [];

function mailerFor(url: string, opts: Partial<{ from: string; timeoutMs: number }> = {}): Mailer {
  const m = createMailer(url, { from: FROM, timeoutMs: TIMEOUT_MS, ...opts });
  opened.push(m);
  return m;
}

async function failure(p: Promise<unknown>): Promise<EmailDeliveryError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(EmailDeliveryError);
    return e as EmailDeliveryError;
  }
  throw new Error('expected the send to fail');
}

/** Collapses the text's line wrapping, so a phrase can be looked for across lines. */
const flat = (s: string | undefined) => (s ?? '').replace(/\s+/g, ' ');

beforeEach(async () => {
  receiver = await startSmtpReceiver();
  mailer = mailerFor(receiver.url);
});

afterEach(async () => {
  for (const m of opened.splice(0)) m.close();
  await receiver.close();
});

describe('each event arrives as a clear two-part e-mail', () => {
  it.each(EMAIL_EVENTS)('%s', async (event) => {
    const rendered = renderEmail(event, DATA[event]);
    await mailer.send(CUSTOMER, rendered, { messageId: `notification-${event}-1` });

    const [m] = (await receiver.waitFor(1)) as [ReceivedMessage];
    expect(m.envelope).toEqual({ mailFrom: 'no-reply@vestline.example', rcptTo: [CUSTOMER] });
    expect(m.subject).toBe(SUBJECTS[event]);
    expect(m.header('to')).toBe(CUSTOMER);
    expect(m.header('from')).toBe(FROM);
    expect(m.header('message-id')).toBe(`<notification-${event}-1@vestline.example>`);
    expect(m.header('auto-submitted')).toBe('auto-generated');
    expect(m.root.contentType).toBe('multipart/alternative');
    expect(m.root.parts.map((p) => p.contentType)).toEqual(['text/plain', 'text/html']);
    // What went over the wire is exactly what was rendered.
    expect(m.text?.replace(/\r\n/g, '\n')).toBe(rendered.text);
    expect(m.html?.replace(/\r\n/g, '\n')).toBe(rendered.html);

    for (const value of SHOWN[event]) {
      expect(flat(m.text)).toContain(value);
      expect(m.html).toContain(value);
    }
    expect(flat(m.text)).toContain('Acme Token Sale');
    expect(flat(m.text)).toContain(`sent to ${CUSTOMER}`);
    // The text part is text: no markup, no entities.
    expect(m.text).not.toMatch(/<\/?[a-z][^>]*>|&[a-z]+;|&#\d+;/i);
    expect(m.html).toMatch(/^<!DOCTYPE html>/);
    expect(m.html).toContain(`<title>${SUBJECTS[event]}</title>`);
  });

  it('every value is HTML-escaped, in every template', async () => {
    for (const [i, event] of EMAIL_EVENTS.entries()) {
      const data: EmailData = { ...DATA[event], siteName: EVIL_SITE, reference: 'VL-<b>1</b>', symbol: 'US<i>DT', tokenSymbol: '"><img src=x onerror=alert(1)>', txHash: "0x'onmouseover='alert(1)" };
      await mailer.send(CUSTOMER, renderEmail(event, data), { messageId: `escape-${i}` });
    }
    const arrived = await receiver.waitFor(EMAIL_EVENTS.length);
    const tags = (html: string | undefined) => (html ?? '').replace(/\r\n/g, '\n').match(/<[^>]*>/g);
    for (const [i, m] of arrived.entries()) {
      expect(m.html).toContain(EVIL_SITE_HTML);
      expect(m.html).toContain('VL-&lt;b&gt;1&lt;/b&gt;');
      // Not one tag or attribute more than the same template with harmless values has.
      expect(tags(m.html)).toEqual(tags(renderEmail(EMAIL_EVENTS[i]!, DATA[EMAIL_EVENTS[i]!]).html));
      expect(m.html).not.toMatch(/<script|<img|<b>1|<i>DT|'onmouseover/i);
      // Outside HTML the values are shown as they are.
      expect(m.subject).toContain(EVIL_SITE);
      expect(flat(m.text)).toContain(EVIL_SITE);
    }
    expect(arrived[0]!.html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(arrived[3]!.html).toContain('0x&#39;onmouseover=&#39;alert(1)');
  });

  it('carries no secret: fields outside EmailData never reach the message, nor do the SMTP credentials', async () => {
    const auth = { user: 'vestline-mailer', pass: 'smtp-Pa55word-9f3e' };
    const secured = await startSmtpReceiver({ auth });
    try {
      const m = mailerFor(secured.url);
      const leaky = {
        ...DATA['order.paid'],
        orderId: '3d9f6a4e-1b2c-4d5e-8f90-a1b2c3d4e5f6',
        sessionToken: 'vl_sess_SECRET_TOKEN_123',
        apiKey: 'sk_live_SECRET_KEY_456',
        otherCustomerEmail: 'bob@other.example',
      } as EmailData;
      await m.send(CUSTOMER, renderEmail('order.paid', leaky), { messageId: 'no-secrets-1' });
      const [got] = (await secured.waitFor(1)) as [ReceivedMessage];
      expect(got.user).toBe(auth.user); // the URL's login was used
      for (const secret of ['vl_sess_SECRET_TOKEN_123', 'sk_live_SECRET_KEY_456', '3d9f6a4e-1b2c-4d5e-8f90-a1b2c3d4e5f6', 'bob@other.example', auth.pass]) {
        expect(got.raw).not.toContain(secret);
      }
    } finally {
      await secured.close();
    }
  });

  it('a value with line breaks cannot add a header, a recipient or a line', async () => {
    const data = { ...DATA['order.expired'], reference: 'VL-1\r\nBcc: eve@attacker.example', siteName: 'Acme\n\nURGENT: send your seed phrase to eve@attacker.example' };
    await mailer.send(CUSTOMER, renderEmail('order.expired', data), { messageId: 'crlf-1' });
    const [m] = (await receiver.waitFor(1)) as [ReceivedMessage];
    expect(m.envelope.rcptTo).toEqual([CUSTOMER]);
    expect(m.headers.has('bcc')).toBe(false);
    expect(m.subject).toBe('Order VL-1 Bcc: eve@attacker.example has expired – Acme URGENT: send your seed phrase to eve@attacker.example');
    // Each value stays one piece of one paragraph: its line breaks became spaces.
    const text = m.text?.replace(/\r\n/g, '\n');
    expect(text).toContain('— Acme URGENT: send your seed phrase to eve@attacker.example\n');
    expect(text).not.toMatch(/\n\s*\n\s*URGENT/);
  });
});

describe('failures throw, so the outbox retries', () => {
  it('a message refused with 451 throws a retryable error; the next send goes through', async () => {
    receiver.refuseNext(1, 451);
    const message = renderEmail('order.paid', DATA['order.paid']);
    const err = await failure(mailer.send(CUSTOMER, message, { messageId: 'refused-1' }));
    expect(err.responseCode).toBe(451);
    expect(err.permanent).toBe(false);
    expect(err.message).toMatch(new RegExp(`^e-mail via 127\\.0\\.0\\.1:${receiver.port} failed .*451`));
    expect(err.message).not.toContain(CUSTOMER);
    expect(receiver.messages).toHaveLength(0);

    await mailer.send(CUSTOMER, message, { messageId: 'refused-1' });
    expect(await receiver.waitFor(1)).toHaveLength(1);
    expect(receiver.refused).toHaveLength(1);
  });

  it('a message refused with 550 throws a permanent error', async () => {
    receiver.refuseNext(1, 550);
    const err = await failure(mailer.send(CUSTOMER, renderEmail('order.expired', DATA['order.expired']), { messageId: 'refused-2' }));
    expect(err.responseCode).toBe(550);
    expect(err.permanent).toBe(true);
  });

  it('keeps the recipient out of the error even when the server names it (the error goes to logs and the audit log)', async () => {
    receiver.refuseNext(1, 550, `5.1.1 <${CUSTOMER}>: Recipient address rejected: user ${CUSTOMER.split('@')[0]} unknown`);
    const err = await failure(mailer.send(CUSTOMER, renderEmail('order.expired', DATA['order.expired']), { messageId: 'refused-3' }));
    expect(err.responseCode).toBe(550);
    expect(err.message).toContain('550');
    expect(err.message).not.toContain(CUSTOMER);
    expect(err.message).not.toContain(CUSTOMER.split('@')[0]);
    // Servers may echo it in another case; and the error carries no unredacted cause.
    receiver.refuseNext(1, 550, `5.1.1 <${CUSTOMER.toUpperCase()}>: unknown`);
    const shouted = await failure(mailer.send(CUSTOMER, renderEmail('order.expired', DATA['order.expired']), { messageId: 'refused-4' }));
    expect(shouted.message.toLowerCase()).not.toContain(CUSTOMER.split('@')[0]);
    expect(shouted.cause).toBeUndefined();
  });

  it('a server that is down makes send throw within the timeout', async () => {
    const down = mailerFor(`smtp://127.0.0.1:${await closedPort()}`);
    const started = Date.now();
    const err = await failure(down.send(CUSTOMER, renderEmail('order.paid', DATA['order.paid']), { messageId: 'down-1' }));
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS);
    expect(err.permanent).toBe(false);
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('a server that accepts and never answers makes send throw after the timeout', async () => {
    const silent = await startSilentServer();
    try {
      const hung = mailerFor(`smtp://127.0.0.1:${silent.port}`);
      const started = Date.now();
      const err = await failure(hung.send(CUSTOMER, renderEmail('order.paid', DATA['order.paid']), { messageId: 'hung-1' }));
      const took = Date.now() - started;
      expect(took).toBeGreaterThanOrEqual(TIMEOUT_MS * 0.9);
      expect(took).toBeLessThan(TIMEOUT_MS + 1500);
      expect(err.code).toBe('ETIMEDOUT');
      expect(err.permanent).toBe(false);
    } finally {
      await silent.close();
    }
  });

  it('an aborted send ends at once, as a retryable error, and closes its connection (nothing can go out after it)', async () => {
    const silent = await startSilentServer();
    try {
      const hung = mailerFor(`smtp://127.0.0.1:${silent.port}`);
      const started = Date.now();
      const err = await failure(hung.send(CUSTOMER, renderEmail('order.paid', DATA['order.paid']), { messageId: 'aborted-1', signal: AbortSignal.timeout(100) }));
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS);
      expect(err.code).toBe('EABORTED');
      expect(err.permanent).toBe(false);
      const deadline = Date.now() + 2000;
      while (silent.openConnections() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(silent.openConnections()).toBe(0);
    } finally {
      await silent.close();
    }
  });

  it('close() aborts the sends in flight (shutdown) and refuses new ones', async () => {
    const silent = await startSilentServer();
    try {
      const m = createMailer(`smtp://127.0.0.1:${silent.port}`, { from: FROM, timeoutMs: 10_000 });
      const pending = failure(m.send(CUSTOMER, renderEmail('order.paid', DATA['order.paid']), { messageId: 'closing-1' }));
      await new Promise((r) => setTimeout(r, 100));
      const started = Date.now();
      m.close();
      const err = await pending;
      expect(Date.now() - started).toBeLessThan(1000);
      expect(err.code).toBe('EABORTED');
      expect(err.message).toMatch(/shutdown/);
      await expect(m.send(CUSTOMER, renderEmail('order.paid', DATA['order.paid']), { messageId: 'closing-2' })).rejects.toThrow(/closed/);
    } finally {
      await silent.close();
    }
  });

  it('speaks implicit TLS (smtps://) over the connection it opens itself', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vl-smtps-'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    const got: string[] = [];
    const server = new SMTPServer({
      secure: true,
      key: readFileSync(join(dir, 'key.pem')),
      cert: readFileSync(join(dir, 'cert.pem')),
      authOptional: true,
      logger: false,
      onData(stream, session, callback) {
        let raw = '';
        stream.on('data', (c: Buffer) => (raw += c.toString('utf8')));
        stream.on('end', () => {
          got.push(`${session.secure} ${raw}`);
          callback();
        });
      },
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
    try {
      const port = (server.server.address() as AddressInfo).port;
      const tls = mailerFor(`smtps://127.0.0.1:${port}/?tls.rejectUnauthorized=false`);
      await tls.send(CUSTOMER, renderEmail('order.paid', DATA['order.paid']), { messageId: 'tls-1' });
      tls.close();
      expect(got).toHaveLength(1);
      expect(got[0]).toMatch(/^true [\s\S]*Message-ID: <tls-1@vestline\.example>/);
    } finally {
      await new Promise<void>((ok) => server.close(() => ok()));
    }
  });

  it('a rejected login throws a retryable error that does not show the password', async () => {
    const auth = { user: 'vestline-mailer', pass: 'right-password-1' };
    const secured = await startSmtpReceiver({ auth });
    try {
      const wrong = mailerFor(`smtp://vestline-mailer:wrong-Pa55word-77@127.0.0.1:${secured.port}`);
      const err = await failure(wrong.send(CUSTOMER, renderEmail('order.paid', DATA['order.paid']), { messageId: 'auth-1' }));
      expect(err.code).toBe('EAUTH');
      expect(err.permanent).toBe(false);
      expect(err.cause).toBeUndefined();
      expect(err.message).not.toContain('wrong-Pa55word-77');
      expect(secured.messages).toHaveLength(0);
    } finally {
      await secured.close();
    }
  });

  it('an invalid recipient is refused before any connection, as a permanent error', async () => {
    const message = renderEmail('order.paid', DATA['order.paid']);
    for (const to of ['', 'no-at-sign', 'ada@localhost', 'ada@customer.example, eve@attacker.example', 'ada@customer.example;eve@attacker.example', 'Ada <ada@customer.example>', 'ada@customer.example\r\nBcc: eve@attacker.example', 'a da@customer.example', `${'a'.repeat(65)}@customer.example`]) {
      const err = await failure(mailer.send(to, message, { messageId: 'bad-to' }));
      expect(err.permanent).toBe(true);
      expect(err.message).toBe('e-mail: the recipient is not a valid e-mail address');
    }
    const err = await failure(mailer.send(CUSTOMER, message, { messageId: 'bad id\r\nBcc: eve@attacker.example' }));
    expect(err.permanent).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(receiver.messages).toHaveLength(0);
    expect(receiver.refused).toHaveLength(0);
  });

  it('a closed mailer throws instead of sending', async () => {
    mailer.close();
    const err = await failure(mailer.send(CUSTOMER, renderEmail('order.paid', DATA['order.paid']), { messageId: 'closed-1' }));
    expect(err.permanent).toBe(false);
  });
});

describe('retries carry the same Message-ID', () => {
  it('a refused attempt and its retry, and a repeated delivery, all carry the Message-ID of the notification', async () => {
    const message = renderEmail('release.released', DATA['release.released']);
    receiver.refuseNext(1, 451);
    await failure(mailer.send(CUSTOMER, message, { messageId: 'outbox-42' }));
    await mailer.send(CUSTOMER, message, { messageId: 'outbox-42' });
    // A retry after a lost acknowledgement delivers twice; the receiver sees one Message-ID.
    await mailerFor(receiver.url).send(CUSTOMER, message, { messageId: 'outbox-42' });
    const arrived = await receiver.waitFor(2);
    const ids = [...receiver.refused, ...arrived].map((m) => m.header('message-id'));
    expect(ids).toEqual(['<outbox-42@vestline.example>', '<outbox-42@vestline.example>', '<outbox-42@vestline.example>']);
    // The same content each time (only the MIME boundaries and Date differ).
    expect(arrived[1]!.text).toBe(arrived[0]!.text);
    expect(arrived[1]!.html).toBe(arrived[0]!.html);
    expect(arrived[1]!.subject).toBe(arrived[0]!.subject);
  });

  it('different notifications get different Message-IDs; a full id is kept as it is', async () => {
    const message = renderEmail('order.paid', DATA['order.paid']);
    await mailer.send(CUSTOMER, message, { messageId: 'outbox-1' });
    await mailer.send(CUSTOMER, message, { messageId: 'outbox-2' });
    await mailer.send(CUSTOMER, message, { messageId: '<order.paid.3d9f6a4e@mail.vestline.example>' });
    const arrived = await receiver.waitFor(3);
    expect(arrived.map((m) => m.header('message-id'))).toEqual(['<outbox-1@vestline.example>', '<outbox-2@vestline.example>', '<order.paid.3d9f6a4e@mail.vestline.example>']);
  });
});

describe('configuration', () => {
  it('refuses a URL that is not smtp:// or smtps://, a bad From or timeout, without repeating the URL', () => {
    for (const url of ['http://user:hunter2-secret@mail.example:25', 'not a url hunter2-secret', 'sendmail://hunter2-secret']) {
      let message = '';
      try {
        createMailer(url, { from: FROM, timeoutMs: TIMEOUT_MS });
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).toMatch(/SMTP_URL/);
      expect(message).not.toContain('hunter2-secret');
    }
    expect(() => createMailer('smtp://127.0.0.1:25', { from: 'Vestline', timeoutMs: TIMEOUT_MS })).toThrow(/From/);
    expect(() => createMailer('smtp://127.0.0.1:25', { from: FROM, timeoutMs: 0 })).toThrow(/timeoutMs/);
  });

  it('a bare From address works too', async () => {
    await mailerFor(receiver.url, { from: 'sales@acme.example' }).send(CUSTOMER, renderEmail('order.paid', DATA['order.paid']), { messageId: 'bare-from' });
    const [m] = (await receiver.waitFor(1)) as [ReceivedMessage];
    expect(m.header('from')).toBe('sales@acme.example');
    expect(m.header('message-id')).toBe('<bare-from@acme.example>');
  });
});

describe('templates', () => {
  it('degrade gracefully without optional values and never print "undefined"', () => {
    for (const event of EMAIL_EVENTS) {
      const r = renderEmail(event, { siteName: 'Acme', customerEmail: CUSTOMER });
      expect(r.subject).toMatch(/your order|Your order/);
      for (const part of [r.subject, r.text, r.html]) expect(part).not.toMatch(/undefined|null|NaN/);
    }
  });

  it('show amounts exactly as given and refuse to render without a site name', () => {
    const r = renderEmail('order.paid', { ...DATA['order.paid'], amount: '0.000000000000000001', symbol: 'ETH' });
    expect(r.text).toContain('0.000000000000000001 ETH');
    expect(() => renderEmail('order.paid', { ...DATA['order.paid'], siteName: '  ' })).toThrow(/siteName/);
    expect(() => renderEmail('order.refunded' as EmailEvent, DATA['order.paid'])).toThrow(/no e-mail template/);
  });
});
