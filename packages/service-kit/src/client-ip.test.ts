import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { clientIp, networkOf } from './client-ip.ts';

const request = (ip: string, forwarded?: string) =>
  ({ ip, headers: forwarded === undefined ? {} : { 'x-forwarded-for': forwarded } }) as FastifyRequest;

describe('the address per-address limits count', () => {
  it('is the peer without proxies, whatever X-Forwarded-For the client wrote', () => {
    expect(clientIp(request('203.0.113.7', '198.51.100.1'), 0)).toBe('203.0.113.7');
  });

  it('behind trusted proxies, the entry the first of them appended; a shorter chain is the peer, not what the client wrote', () => {
    expect(clientIp(request('10.9.0.1', '198.51.100.1, 203.0.113.7'), 1)).toBe('203.0.113.7');
    expect(clientIp(request('10.9.0.2', '198.51.100.1, 203.0.113.7, 10.9.0.1'), 2)).toBe('203.0.113.7');
    // Through one proxy of two (or none): the client's own entry must not choose its limit key.
    expect(clientIp(request('10.9.0.1', '198.51.100.1'), 2)).toBe('10.9.0.1');
    expect(clientIp(request('10.9.0.1'), 1)).toBe('10.9.0.1');
  });

  it('counts an IPv6 client by its /64, written one way; IPv4, mapped or not, by its address', () => {
    for (const address of ['2001:db8::1', '2001:0db8:0000:0000:ffff:1:2:3', '2001:DB8:0:0:1::%eth0'])
      expect(networkOf(address), address).toBe('2001:db8:0:0::/64');
    expect(networkOf('2001:db8:0:1::1')).toBe('2001:db8:0:1::/64');
    expect(networkOf('::ffff:10.0.0.1')).toBe('10.0.0.1');
    expect(networkOf('203.0.113.7')).toBe('203.0.113.7');
    expect(clientIp(request('2001:db8:aa:bb:1:2:3:4'), 0)).toBe('2001:db8:aa:bb::/64');
  });
});
