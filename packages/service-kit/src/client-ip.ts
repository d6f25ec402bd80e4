import type { FastifyRequest } from 'fastify';

/**
 * The address a request came from, for per-IP limits. Behind `hops` trusted proxies, each of
 * which appends the address it saw to X-Forwarded-For, the client is the hops-th entry from
 * the right; anything further left was written by the client itself and proves nothing.
 */
export function clientIp(request: FastifyRequest, hops: number): string {
  if (hops <= 0) return request.ip;
  const header = request.headers['x-forwarded-for'];
  const chain = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  return chain[chain.length - hops] ?? chain[0] ?? request.ip;
}
