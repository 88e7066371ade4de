import { BlockList, isIP } from 'node:net';

/** A parsed allowlist of IPs and CIDRs (IPv4 and IPv6), or the entries it could not read. */
export type Allowlist = { ok: true; allows(ip: string | null): boolean } | { ok: false; invalid: string[] };

/** "1.2.3.4, 10.0.0.0/8 2001:db8::/32": comma or space separated; IPv4-mapped IPv6 addresses match their IPv4 entry. */
export function parseAllowlist(text: string): Allowlist {
  const list = new BlockList();
  const invalid: string[] = [];
  for (const entry of text.split(/[\s,]+/).filter(Boolean)) {
    const [addr, bits, extra] = entry.split('/');
    const family = isIP(addr ?? '');
    const prefix = bits === undefined ? undefined : Number(bits);
    if (!family || extra !== undefined || (prefix !== undefined && (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)))) {
      invalid.push(entry);
      continue;
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(addr!, type);
    else list.addSubnet(addr!, prefix, type);
  }
  if (invalid.length) return { ok: false, invalid };
  return {
    ok: true,
    allows(ip) {
      if (!ip) return false;
      const v4 = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip)?.[1];
      const addr = v4 ?? ip;
      const family = isIP(addr);
      return family !== 0 && list.check(addr, family === 4 ? 'ipv4' : 'ipv6');
    },
  };
}
