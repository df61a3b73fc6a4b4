import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/**
 * One spelling per address: a dual-stack listener reports IPv4 peers as `::ffff:a.b.c.d`, so one client
 * (or one configured proxy) would otherwise have two spellings, and two rate-limit buckets.
 */
export function normalizeIp(address: string): string {
  let a = address.trim().toLowerCase();
  if (a.startsWith('[') && a.endsWith(']')) a = a.slice(1, -1);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(a);
  return mapped?.[1] ?? a;
}

const normalizedLists = new WeakMap<readonly string[], ReadonlySet<string>>();
function trustedSet(list: readonly string[]): ReadonlySet<string> {
  let set = normalizedLists.get(list);
  if (!set) {
    set = new Set(list.map(normalizeIp));
    normalizedLists.set(list, set);
  }
  return set;
}

/**
 * The caller's address, which the sign-in and credential limits are keyed on. X-Forwarded-For is
 * believed only when the direct peer is a trusted proxy (TRUSTED_PROXIES: exact addresses, such as the
 * dashboard's server, which overwrites the header with the browser's address it saw); then the
 * right-most address that is not itself trusted is taken (entries further left are client-supplied and
 * can be forged). A hop that is not an IP address ends the walk at the last trusted proxy, so a header
 * can never choose an arbitrary bucket.
 */
export function clientIp(req: IncomingMessage, trustedProxies: readonly string[]): string {
  const peerRaw = req.socket.remoteAddress;
  if (!peerRaw) return 'unknown';
  const trusted = trustedSet(trustedProxies);
  let address = normalizeIp(peerRaw);
  if (!trusted.has(address)) return address;
  const header = req.headers['x-forwarded-for'];
  const raw = Array.isArray(header) ? header.join(',') : (header ?? '');
  const hops = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalizeIp(hops[i] as string);
    if (isIP(hop) === 0) return address;
    address = hop;
    if (!trusted.has(hop)) return hop;
  }
  return address;
}
