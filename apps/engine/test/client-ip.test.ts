import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientIp, normalizeIp } from '../src/server/client-ip.ts';

const req = (peer: string | undefined, xff?: string | string[]) =>
  ({
    socket: { remoteAddress: peer },
    headers: xff ? { 'x-forwarded-for': xff } : {},
  }) as unknown as IncomingMessage;
const trusted = ['127.0.0.1'];

describe('client ip', () => {
  it('ignores X-Forwarded-For from an untrusted peer', () => {
    expect(clientIp(req('203.0.113.9', '1.2.3.4'), trusted)).toBe('203.0.113.9');
  });

  it('takes the right-most untrusted hop behind a trusted proxy, not a forged left-most one', () => {
    expect(clientIp(req('127.0.0.1', '6.6.6.6, 198.51.100.7'), trusted)).toBe('198.51.100.7');
    expect(clientIp(req('127.0.0.1', ['6.6.6.6', '198.51.100.7']), trusted)).toBe('198.51.100.7');
  });

  it('uses the peer when a trusted proxy sends no header', () => {
    expect(clientIp(req('127.0.0.1'), trusted)).toBe('127.0.0.1');
  });

  it('never lets a hop that is not an address pick the bucket', () => {
    // A misbehaving proxy passing a browser's text on: the proxy's own address, not the text.
    expect(clientIp(req('127.0.0.1', '198.51.100.7, attacker-choice-1'), trusted)).toBe('127.0.0.1');
    expect(clientIp(req('127.0.0.1', '   ,  '), trusted)).toBe('127.0.0.1');
  });

  it('spells an IPv4 client one way on a dual-stack listener, for peers and for the trusted list', () => {
    expect(normalizeIp('::FFFF:127.0.0.1')).toBe('127.0.0.1');
    expect(clientIp(req('::ffff:203.0.113.9'), trusted)).toBe('203.0.113.9');
    // The list spells the proxy the other way round.
    expect(clientIp(req('127.0.0.1', '198.51.100.7'), ['::ffff:127.0.0.1'])).toBe('198.51.100.7');
    expect(clientIp(req('::ffff:127.0.0.1', '198.51.100.7'), trusted)).toBe('198.51.100.7');
  });

  it('walks past a chain of trusted proxies', () => {
    expect(clientIp(req('10.0.0.2', '6.6.6.6, 203.0.113.4, 10.0.0.3'), ['10.0.0.2', '10.0.0.3'])).toBe(
      '203.0.113.4',
    );
  });
});
