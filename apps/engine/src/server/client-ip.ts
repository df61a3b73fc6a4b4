import type { IncomingMessage } from 'node:http';

/**
 * The caller's address. X-Forwarded-For is believed only when the direct peer is a trusted proxy, and
 * then the right-most address that is not itself trusted is taken (left-most entries are client-supplied
 * and can be forged).
 */
export function clientIp(req: IncomingMessage, trustedProxies: readonly string[]): string {
  const peer = req.socket.remoteAddress ?? 'unknown';
  if (!trustedProxies.includes(peer)) return peer;
  const header = req.headers['x-forwarded-for'];
  const raw = Array.isArray(header) ? header.join(',') : header;
  if (!raw) return peer;
  const hops = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!trustedProxies.includes(hop)) return hop;
  }
  return hops[0] ?? peer;
}
