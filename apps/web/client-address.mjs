// The client's address as this web server saw it, for the engine's sign-in limits. Plain JavaScript
// (types in client-address.d.mts) because server.mjs loads it with plain node, before Next.js.
import { createServer } from 'node:http';
import { isIP } from 'node:net';

/**
 * One spelling per address: a dual-stack listener reports IPv4 peers as `::ffff:a.b.c.d`, so without
 * this the same client (or a configured proxy) would have two spellings.
 * @param {string} address
 * @returns {string}
 */
export function normalizeAddress(address) {
  let a = address.trim().toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  return mapped?.[1] ?? a;
}

/**
 * `WEB_TRUSTED_PROXIES`: exact addresses (comma separated) of reverse proxies in front of this server
 * whose X-Forwarded-For it may believe. Empty (the default): browsers connect directly.
 * @param {string | undefined} csv
 * @returns {Set<string>}
 */
export function parseTrustedProxies(csv) {
  const out = new Set();
  for (const part of (csv ?? '').split(',')) {
    const a = normalizeAddress(part);
    if (!a) continue;
    if (isIP(a) === 0) throw new Error(`WEB_TRUSTED_PROXIES: "${part.trim()}" is not an IP address`);
    out.add(a);
  }
  return out;
}

/**
 * The client's address: the socket's peer; when the peer is a trusted proxy, the right-most hop of its
 * X-Forwarded-For that is not itself trusted (hops further left are whatever the client wrote). A hop
 * that is not an address stops the walk at the last trusted proxy rather than letting a header choose.
 * @param {import('node:http').IncomingMessage} req
 * @param {ReadonlySet<string>} trusted
 * @returns {string | undefined}
 */
export function clientAddress(req, trusted) {
  const peerRaw = req.socket.remoteAddress;
  if (!peerRaw) return undefined;
  let address = normalizeAddress(peerRaw);
  if (!trusted.has(address)) return address;
  const header = req.headers['x-forwarded-for'];
  const raw = Array.isArray(header) ? header.join(',') : (header ?? '');
  const hops = raw
    .split(',')
    .map((h) => h.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeAddress(hops[i] ?? '');
    if (isIP(hop) === 0) return address;
    address = hop;
    if (!trusted.has(hop)) return hop;
  }
  return address;
}

/**
 * Replaces (never appends to) X-Forwarded-For with the one address this server vouches for, before
 * Next.js sees the request: the browser's own header would otherwise reach the engine, which believes
 * this server, and rotating it would give an attacker a fresh sign-in budget per request.
 * @param {import('node:http').IncomingMessage} req
 * @param {ReadonlySet<string>} trusted
 */
export function rewriteForwardedFor(req, trusted) {
  const address = clientAddress(req, trusted);
  // Next.js fills the header from the socket when it is absent; with no peer address there is nothing
  // to vouch for, so make sure it stays absent rather than client-chosen.
  delete req.headers['x-forwarded-for'];
  if (address) req.headers['x-forwarded-for'] = address;
}

/**
 * An HTTP server that rewrites X-Forwarded-For, then hands the request to `handle` (Next.js's request
 * handler in server.mjs; a small handler in tests).
 * @param {(req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => unknown} handle
 * @param {ReadonlySet<string>} trusted
 * @returns {import('node:http').Server}
 */
export function createForwardingServer(handle, trusted) {
  return createServer((req, res) => {
    rewriteForwardedFor(req, trusted);
    Promise.resolve(handle(req, res)).catch((err) => {
      console.error('request failed', err);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
}
