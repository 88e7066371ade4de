import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { TrustProxy } from '../config.js';

export type TrustFn = (address: string, hop: number) => boolean;

/**
 * Which hops may set X-Forwarded-For, as Express understands `trust proxy`: nobody, the first N hops,
 * or addresses in the listed subnets. The client address is then the first untrusted hop from the
 * right, so a client cannot pick its own address by sending the header itself.
 */
export function compileTrust(trust: TrustProxy): TrustFn {
  if (trust === false) return () => false;
  if (typeof trust === 'number') return (_address, hop) => hop < trust;
  return proxyaddr.compile(trust);
}

/** The same answer for an Express request and a raw WebSocket upgrade request. */
export function clientAddress(req: IncomingMessage, trust: TrustFn): string | null {
  try {
    return proxyaddr(req, trust) || null;
  } catch {
    return req.socket.remoteAddress ?? null;
  }
}
