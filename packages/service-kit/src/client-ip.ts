import { isIPv4, isIPv6 } from 'node:net';
import type { FastifyRequest } from 'fastify';

/**
 * The address a request came from, as per-address limits count it. Behind `hops` trusted proxies,
 * each of which appends the address it saw to X-Forwarded-For, the client is the hops-th entry
 * from the right; anything further left was written by the client itself and proves nothing, so a
 * chain shorter than `hops` (a request that did not come through them all) counts as the peer.
 * An IPv6 client counts by its /64: one subscriber's network, whose billions of addresses would
 * otherwise each get a limit of their own.
 */
export function clientIp(request: FastifyRequest, hops: number): string {
  if (hops <= 0) return networkOf(request.ip);
  const header = request.headers['x-forwarded-for'];
  const chain = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return networkOf(chain.length >= hops ? chain[chain.length - hops]! : request.ip);
}

/** An IPv4 address as it is (also one written IPv4-mapped, ::ffff:1.2.3.4); an IPv6 one's /64. */
export function networkOf(address: string): string {
  const bare = address.replace(/%.*$/, '');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(bare)?.[1];
  if (mapped && isIPv4(mapped)) return mapped;
  if (!isIPv6(bare)) return address;
  const [head = '', tail] = bare.toLowerCase().split('::');
  const front = head ? head.split(':') : [];
  const back = tail === undefined ? [] : tail ? tail.split(':') : [];
  const groups = [...front, ...Array(8 - front.length - back.length).fill('0'), ...back];
  return `${groups
    .slice(0, 4)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}
