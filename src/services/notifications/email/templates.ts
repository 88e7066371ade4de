/**
 * Customer e-mails, one template per event, each in plain text and HTML. Pure: the same data gives
 * the same message, so a retried delivery sends exactly what the first attempt did.
 *
 * Only the fields named in EmailData are ever rendered; anything else on the object passed in (an
 * order id, a token, another user's data) is ignored, so a caller spreading a larger object cannot
 * leak it. Every value is cleaned of control characters (no forged lines in the text, no header
 * folding in the subject) and HTML-escaped in the HTML part. Amounts are shown as given: they are
 * Decimal strings already scaled by the asset's decimals, never parsed into floating point here.
 */

export type EmailEvent = 'order.paid' | 'order.expired' | 'order.underpaid' | 'release.released';

export const EMAIL_EVENTS: readonly EmailEvent[] = ['order.paid', 'order.expired', 'order.underpaid', 'release.released'];

export interface EmailData {
  /** The sale's public name, shown as the sender of the content. */
  siteName: string;
  /** The recipient; named in the footer ("sent to …"), the caller also passes it to Mailer.send. */
  customerEmail: string;
  /** The customer-facing order reference, like VL-7K2M9QX4D1BA. */
  reference?: string;
  /** order.paid: the amount paid; order.expired: the amount that was due (Decimal string). */
  amount?: string;
  /** The payment asset's symbol, like USDT (amount, amountReceived, amountExpected). */
  symbol?: string;
  /** order.paid: tokens bought; release.released: tokens sent in this release (Decimal string). */
  tokenAmount?: string;
  tokenSymbol?: string;
  /** release.released: the payout transaction's hash. */
  txHash?: string;
  /** order.paid: when the first tokens unlock; release.released: when this release unlocked (ISO 8601). */
  unlockAt?: string;
  /** order.underpaid: what arrived and what was due (Decimal strings, in `symbol`). */
  amountReceived?: string;
  amountExpected?: string;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** HTML-escapes text for element content and quoted attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
}

/** One line of text: control characters (CR, LF, NUL, bidi overrides…) become spaces, runs of spaces one. */
function clean(v: string | undefined): string | undefined {
  if (v === undefined || v === null) return undefined;
  // eslint-disable-next-line no-control-regex
  const s = String(v).replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, ' ').replace(/\s+/g, ' ').trim();
  return s === '' ? undefined : s;
}

/** "100.50 USDT": the amount exactly as given, with its symbol when there is one. */
function money(amount: string | undefined, symbol: string | undefined): string | undefined {
  const a = clean(amount);
  if (a === undefined) return undefined;
  const s = clean(symbol);
  return s === undefined ? a : `${a} ${s}`;
}

/** An ISO 8601 instant as "2027-01-01 00:00 UTC" (unambiguous for every reader); anything else as given. */
function when(v: string | undefined): string | undefined {
  const s = clean(v);
  if (s === undefined || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(s)) return s;
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

/** A piece of body copy: literal text and values, rendered once as text and once escaped as HTML. */
type Part = string | { value: string; strong?: boolean };
type Paragraph = Part[];

interface Layout {
  subject: string;
  heading: string;
  intro: Paragraph;
  details: [label: string, value: string | undefined, code?: boolean][];
  nextTitle: string;
  next: Paragraph[];
}

const v = (value: string, opts: { strong?: boolean } = {}): Part => ({ value, ...opts });

const NBSP = '\u00a0';

/** Plain text, wrapped at 72 columns; a value (a date, "100 USDT", a site name) is never split across lines. */
function toText(p: Paragraph): string {
  // clean() turned every NBSP in a value into a space, so each NBSP here is one put in to hold a value together.
  return wrap(p.map((x) => (typeof x === 'string' ? x : x.value.replaceAll(' ', NBSP))).join('')).replaceAll(NBSP, ' ');
}

function toHtml(p: Paragraph): string {
  return p
    .map((x) => {
      if (typeof x === 'string') return escapeHtml(x);
      const e = escapeHtml(x.value);
      return x.strong ? `<strong>${e}</strong>` : e;
    })
    .join('');
}

/** Wraps plain text at `width` columns on spaces (long words such as a tx hash stay whole). */
function wrap(s: string, width = 72): string {
  const lines: string[] = [];
  let line = '';
  for (const word of s.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines.join('\n');
}

function layout(event: EmailEvent, d: Required<Pick<EmailData, 'siteName' | 'customerEmail'>> & Omit<EmailData, 'siteName' | 'customerEmail'>): Layout {
  const site = d.siteName;
  const ref = d.reference;
  const order: Paragraph = ref ? ['order ', v(ref, { strong: true })] : ['your order'];
  const forOrder = ref ? ` for order ${ref}` : ' for your order';
  const quote: Paragraph = ref ? [' and quote the order reference ', v(ref, { strong: true })] : [];

  switch (event) {
    case 'order.paid': {
      const paid = money(d.amount, d.symbol);
      const tokens = money(d.tokenAmount, d.tokenSymbol);
      const unlock = when(d.unlockAt);
      return {
        subject: `Payment received${forOrder}`,
        heading: 'Payment received',
        intro: ['Thank you. We have received your payment', ...(paid ? [' of ', v(paid, { strong: true })] : []), ' for ', ...order, ' on ', v(site), '. Your order is now paid.'],
        details: [
          ['Order', ref],
          ['Amount paid', paid],
          ['Tokens purchased', tokens],
          ['First unlock', unlock],
        ],
        nextTitle: 'What happens next',
        next: [
          [
            'Your tokens vest according to the sale’s vesting plan: they are sent to your payout address in stages as they unlock',
            ...(unlock ? [', starting on ', v(unlock, { strong: true })] : []),
            '. We will e-mail you each time a release is sent.',
          ],
          ['There is nothing else you need to do. Keep this e-mail for your records', ...(ref ? [' and quote ', v(ref, { strong: true }), ' if you contact us about this order'] : []), '.'],
        ],
      };
    }
    case 'order.expired': {
      const due = money(d.amount ?? d.amountExpected, d.symbol);
      return {
        subject: ref ? `Order ${ref} has expired` : 'Your order has expired',
        heading: 'Order expired',
        intro: ['The payment window for ', ...order, ' on ', v(site), ' closed before any payment arrived, so the order has been closed. No tokens are reserved for it.'],
        details: [
          ['Order', ref],
          ['Amount that was due', due],
        ],
        nextTitle: 'What you can do',
        next: [
          ['Please do not send any payment to the address shown for this order: a transfer that arrives after an order has ended is not credited to it or to any other order.'],
          ['If you still want to take part, place a new order; it comes with its own payment details and deadline.'],
          ['If you sent a payment and believe it arrived in time, contact ', v(site), ...quote, '.'],
        ],
      };
    }
    case 'order.underpaid': {
      const received = money(d.amountReceived, d.symbol);
      const expected = money(d.amountExpected ?? d.amount, d.symbol);
      return {
        subject: `Payment incomplete${forOrder}`,
        heading: 'Payment incomplete',
        intro: [
          'The payment window for ',
          ...order,
          ' on ',
          v(site),
          ' has closed, and the amount we received',
          ...(received && expected ? [' (', v(received, { strong: true }), ' of ', v(expected, { strong: true }), ')'] : []),
          ' is less than the amount that was due. The order has not been completed.',
        ],
        details: [
          ['Order', ref],
          ['Amount due', expected],
          ['Amount received', received],
        ],
        nextTitle: 'What you can do',
        next: [
          ['Please do not send the difference to the address shown for this order: the order has ended, and further transfers to it are not credited.'],
          ['Contact ', v(site), ...quote, ' so they can review the order with you.'],
        ],
      };
    }
    case 'release.released': {
      const tokens = money(d.tokenAmount, d.tokenSymbol);
      const unlocked = when(d.unlockAt);
      return {
        subject: `Tokens released${forOrder}`,
        heading: 'Tokens released',
        intro: [
          tokens ? v(tokens, { strong: true }) : 'A release of your tokens',
          ' from ',
          ...order,
          ' on ',
          v(site),
          tokens ? ' have been sent to your payout address.' : ' has been sent to your payout address.',
        ],
        details: [
          ['Order', ref],
          ['Amount released', tokens],
          ['Unlocked on', unlocked],
          ['Transaction hash', d.txHash, true],
        ],
        nextTitle: 'What happens next',
        next: [
          d.txHash
            ? ['You can look the transfer up on a block explorer for the payout network with the transaction hash above. Your wallet may take a few minutes to show the tokens.']
            : ['Your wallet may take a few minutes to show the tokens.'],
          ['Any tokens still vesting are sent as they unlock, and we will e-mail you each time.'],
        ],
      };
    }
    default:
      throw new Error(`no e-mail template for event ${String(event)}`);
  }
}

/**
 * The subject, plain-text and HTML body of the e-mail for `event`. Throws when siteName or
 * customerEmail is missing or the event has no template (a bug in the caller, not worth a retry).
 */
export function renderEmail(event: EmailEvent, data: EmailData): RenderedEmail {
  const siteName = clean(data.siteName);
  const customerEmail = clean(data.customerEmail);
  if (siteName === undefined) throw new Error('renderEmail: siteName is required');
  if (customerEmail === undefined) throw new Error('renderEmail: customerEmail is required');
  // Only the named fields, each cleaned: nothing else the caller's object carries can reach the message.
  const d = {
    siteName,
    customerEmail,
    reference: clean(data.reference),
    amount: clean(data.amount),
    symbol: clean(data.symbol),
    tokenAmount: clean(data.tokenAmount),
    tokenSymbol: clean(data.tokenSymbol),
    txHash: clean(data.txHash),
    unlockAt: clean(data.unlockAt),
    amountReceived: clean(data.amountReceived),
    amountExpected: clean(data.amountExpected),
  };
  const l = layout(event, d);
  const subject = `${l.subject} – ${siteName}`;
  const details = l.details.filter((row): row is [string, string, boolean?] => row[1] !== undefined);
  const footer: Paragraph = [
    'This e-mail was sent to ',
    v(customerEmail),
    ' because you placed an order on ',
    v(siteName),
    '. We will never ask you for your password, private keys or recovery phrase.',
  ];

  const labelWidth = Math.max(0, ...details.map(([label]) => label.length)) + 2;
  const text = [
    l.heading,
    '='.repeat(l.heading.length),
    '',
    toText(l.intro),
    '',
    ...details.map(([label, value]) => `  ${`${label}:`.padEnd(labelWidth)}${value}`),
    ...(details.length ? [''] : []),
    l.nextTitle,
    '-'.repeat(l.nextTitle.length),
    '',
    ...l.next.flatMap((p) => [toText(p), '']),
    `— ${siteName}`,
    '',
    '-- ', // the signature delimiter: mail clients set what follows apart
    toText(footer),
    '',
  ].join('\n');

  const cell = 'padding:6px 12px 6px 0;vertical-align:top';
  const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(subject)}</title>
</head>
<body style="margin:0;padding:0;background:#f4f5f7;font-family:-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1f2328;line-height:1.5">
<div style="max-width:600px;margin:0 auto;padding:24px 16px">
<div style="background:#ffffff;border-radius:8px;padding:24px">
<p style="margin:0 0 8px;color:#57606a;font-size:14px">${escapeHtml(siteName)}</p>
<h1 style="margin:0 0 16px;font-size:22px">${escapeHtml(l.heading)}</h1>
<p style="margin:0 0 16px">${toHtml(l.intro)}</p>
${
  details.length
    ? `<table role="presentation" style="border-collapse:collapse;margin:0 0 16px;font-size:15px">
${details
  .map(
    ([label, value, code]) =>
      `<tr><th scope="row" style="${cell};text-align:left;font-weight:normal;color:#57606a;white-space:nowrap">${escapeHtml(label)}</th><td style="${cell};font-weight:600${code ? ';font-family:Menlo,Consolas,monospace;word-break:break-all' : ''}">${escapeHtml(value)}</td></tr>`,
  )
  .join('\n')}
</table>
`
    : ''
}<h2 style="margin:24px 0 8px;font-size:17px">${escapeHtml(l.nextTitle)}</h2>
${l.next.map((p) => `<p style="margin:0 0 12px">${toHtml(p)}</p>`).join('\n')}
<p style="margin:16px 0 0">— ${escapeHtml(siteName)}</p>
</div>
<p style="margin:16px 8px 0;font-size:12px;color:#57606a">${toHtml(footer)}</p>
</div>
</body>
</html>
`;
  return { subject, text, html };
}
