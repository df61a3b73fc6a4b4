import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { clientIp } from '../src/server/client-ip.ts';

const req = (peer: string, xff?: string) =>
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
  });

  it('uses the peer when a trusted proxy sends no header', () => {
    expect(clientIp(req('127.0.0.1'), trusted)).toBe('127.0.0.1');
  });
});
