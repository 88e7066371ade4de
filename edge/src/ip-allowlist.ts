/**
 * Source-IP allowlist: CIDR blocks (IPv4 and IPv6) matched against CF-Connecting-IP, which Cloudflare
 * sets from the TCP connection and overwrites when a client sends its own.
 */

interface Cidr {
  bytes: Uint8Array;
  prefix: number;
}

export interface IpAllowlist {
  allows(ip: string): boolean;
}

export function parseIpv4(text: string): Uint8Array | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    // No leading zeros: "010" is octal to some parsers and decimal to others.
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return null;
    out[i] = Number(p);
  }
  return out;
}

export function parseIpv6(text: string): Uint8Array | null {
  let s = text;
  if (s.includes('%')) return null; // zone ids never come from CF-Connecting-IP
  let tail: Uint8Array | null = null;
  const lastColon = s.lastIndexOf(':');
  if (s.includes('.', lastColon)) {
    tail = parseIpv4(s.slice(lastColon + 1));
    if (!tail) return null;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return null;
  const group = (g: string) => (/^[0-9a-fA-F]{1,4}$/.test(g) ? parseInt(g, 16) : -1);
  const head = halves[0] ? halves[0].split(':').map(group) : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':').map(group) : [];
  if (head.includes(-1) || rest.includes(-1)) return null;
  const missing = 8 - head.length - rest.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return null;
  const groups = [...head, ...new Array<number>(missing).fill(0), ...rest];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  if (tail) out.set(tail, 12);
  return out;
}

/** 4 bytes for IPv4 (also for IPv4-mapped IPv6, ::ffff:a.b.c.d), 16 for IPv6, null if not an address. */
export function parseIp(text: string): Uint8Array | null {
  const t = text.trim();
  if (!t.includes(':')) return parseIpv4(t);
  const v6 = parseIpv6(t);
  if (!v6) return null;
  const mapped = v6.subarray(0, 10).every((b) => b === 0) && v6[10] === 0xff && v6[11] === 0xff;
  return mapped ? v6.slice(12) : v6;
}

function parseCidr(text: string): Cidr | null {
  const [addr, bits, extra] = text.split('/');
  if (addr === undefined || extra !== undefined) return null;
  const bytes = parseIp(addr);
  if (!bytes) return null;
  const max = bytes.length * 8;
  if (bits === undefined) return { bytes, prefix: max };
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > max) return null;
  return { bytes, prefix: Number(bits) };
}

function inCidr(ip: Uint8Array, cidr: Cidr): boolean {
  if (ip.length !== cidr.bytes.length) return false;
  let left = cidr.prefix;
  for (let i = 0; left > 0; i++, left -= 8) {
    const mask = left >= 8 ? 0xff : (0xff << (8 - left)) & 0xff;
    if ((ip[i]! & mask) !== (cidr.bytes[i]! & mask)) return false;
  }
  return true;
}

/** Parses "1.2.3.0/24, 2001:db8::/32 10.0.0.1". Returns the entries it could not read as errors. */
export function parseAllowlist(text: string): { ok: true; allowlist: IpAllowlist | null } | { ok: false; invalid: string[] } {
  const entries = text.split(/[\s,]+/).filter(Boolean);
  if (!entries.length) return { ok: true, allowlist: null };
  const cidrs: Cidr[] = [];
  const invalid: string[] = [];
  for (const e of entries) {
    const c = parseCidr(e);
    if (c) cidrs.push(c);
    else invalid.push(e);
  }
  if (invalid.length) return { ok: false, invalid };
  return {
    ok: true,
    allowlist: {
      allows(ip) {
        const bytes = parseIp(ip);
        return bytes !== null && cidrs.some((c) => inCidr(bytes, c));
      },
    },
  };
}
