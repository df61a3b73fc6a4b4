import { type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clientAddress,
  createForwardingServer,
  normalizeAddress,
  parseTrustedProxies,
} from '../../client-address.mjs';

/** What the handler behind the rewriting layer (Next.js in server.mjs) sees as X-Forwarded-For. */
function seenBy(
  server: Server,
  opts: { localAddress: string; forwardedFor?: string | string[] },
): Promise<string | undefined> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/',
        localAddress: opts.localAddress,
        headers: opts.forwardedFor === undefined ? {} : { 'x-forwarded-for': opts.forwardedFor },
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => {
          body += d.toString();
        });
        res.on('end', () => resolve((JSON.parse(body) as { xff?: string }).xff));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function listen(server: Server, host: string): Promise<void> {
  return new Promise((resolve) => server.listen(0, host, resolve));
}

const echo = (req: IncomingMessage, res: import('node:http').ServerResponse) =>
  res.end(JSON.stringify({ xff: req.headers['x-forwarded-for'] }));

describe('web server: X-Forwarded-For is the address it saw', () => {
  let direct: Server;
  let behindProxy: Server;
  beforeAll(async () => {
    // Browsers connect directly (the default: no trusted proxies).
    direct = createForwardingServer(echo, parseTrustedProxies(undefined));
    // An operator's reverse proxy at 127.0.0.9 in front of the dashboard.
    behindProxy = createForwardingServer(echo, parseTrustedProxies('127.0.0.9'));
    await Promise.all([listen(direct, '127.0.0.1'), listen(behindProxy, '127.0.0.1')]);
  });
  afterAll(() => {
    direct.close();
    behindProxy.close();
  });

  it('overwrites a forged header with the peer address instead of appending to it', async () => {
    expect(await seenBy(direct, { localAddress: '127.0.0.2', forwardedFor: '6.6.6.6' })).toBe('127.0.0.2');
    expect(
      await seenBy(direct, { localAddress: '127.0.0.2', forwardedFor: ['6.6.6.6', '7.7.7.7, 8.8.8.8'] }),
    ).toBe('127.0.0.2');
    expect(await seenBy(direct, { localAddress: '127.0.0.3' })).toBe('127.0.0.3');
  });

  it('behind a trusted proxy takes the right-most hop the proxy added, not the client-written ones', async () => {
    expect(
      await seenBy(behindProxy, { localAddress: '127.0.0.9', forwardedFor: '6.6.6.6, 198.51.100.7' }),
    ).toBe('198.51.100.7');
    // A client that is not the proxy cannot speak for others, even to a server that trusts a proxy.
    expect(await seenBy(behindProxy, { localAddress: '127.0.0.2', forwardedFor: '198.51.100.7' })).toBe(
      '127.0.0.2',
    );
    // The proxy sent nothing (or garbage in its own hop): the proxy's address, never a client's choice.
    expect(await seenBy(behindProxy, { localAddress: '127.0.0.9' })).toBe('127.0.0.9');
    expect(await seenBy(behindProxy, { localAddress: '127.0.0.9', forwardedFor: '6.6.6.6, junk' })).toBe(
      '127.0.0.9',
    );
  });
});

describe('client address helpers', () => {
  const req = (peer: string | undefined, xff?: string) =>
    ({ socket: { remoteAddress: peer }, headers: xff ? { 'x-forwarded-for': xff } : {} }) as IncomingMessage;

  it('spells an IPv4 client one way on a dual-stack listener', () => {
    expect(normalizeAddress('::ffff:127.0.0.2')).toBe('127.0.0.2');
    expect(normalizeAddress('[2001:DB8::1]')).toBe('2001:db8::1');
    expect(clientAddress(req('::ffff:10.0.0.5', '1.2.3.4'), parseTrustedProxies('10.0.0.5'))).toBe('1.2.3.4');
  });

  it('walks past every trusted hop', () => {
    const trusted = parseTrustedProxies('10.0.0.5, 10.0.0.6');
    expect(clientAddress(req('10.0.0.5', '6.6.6.6, 203.0.113.4, 10.0.0.6'), trusted)).toBe('203.0.113.4');
  });

  it('has nothing to vouch for without a peer address', () => {
    expect(clientAddress(req(undefined, '6.6.6.6'), new Set())).toBeUndefined();
  });

  it('refuses a trusted-proxy entry that is not an address', () => {
    expect(() => parseTrustedProxies('web')).toThrow(/WEB_TRUSTED_PROXIES/);
  });
});
