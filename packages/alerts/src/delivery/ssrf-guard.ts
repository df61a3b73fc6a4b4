import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { AppError } from '@qt/shared';

/**
 * What an address is, for the webhook SSRF guard. Only `public` is reachable by default; everything
 * else needs the operator's allow-list (config), e.g. loopback for a receiver in a test.
 */
export type AddressClass =
  | 'public'
  | 'loopback'
  | 'private'
  | 'linkLocal'
  | 'cgnat'
  | 'metadata'
  | 'multicast'
  | 'unspecified'
  | 'reserved'
  | 'invalid';

/** A parsed address: 4 bytes (IPv4) or 16 bytes (IPv6). */
export interface IpAddress {
  family: 4 | 6;
  bytes: Uint8Array;
}

/**
 * Parses an address the way a URL host is read (WHATWG URL's IPv4 parser, which Node's `URL` implements),
 * so "127.1", "0x7f.1", "0177.0.0.1" and "2130706433" are all 127.0.0.1, and "[::ffff:127.0.0.1]" is an
 * IPv6 address. Returns null for a name that is not an address.
 */
export function parseAddress(input: string): IpAddress | null {
  let host = input.trim();
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host.includes(':')) {
    if (isIP(host) !== 6) return null;
    const canonical = new URL(`http://[${host}]/`).hostname.slice(1, -1);
    return { family: 6, bytes: ipv6Bytes(canonical) };
  }
  let canonical: string;
  try {
    canonical = new URL(`http://${host}/`).hostname;
  } catch {
    return null;
  }
  if (isIP(canonical) !== 4) return null;
  return { family: 4, bytes: Uint8Array.from(canonical.split('.').map(Number)) };
}

function ipv6Bytes(s: string): Uint8Array {
  let text = s;
  const bytes = new Uint8Array(16);
  // A trailing dotted IPv4 part ("::ffff:1.2.3.4") becomes two hextets.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${(((v4[0] ?? 0) << 8) | (v4[1] ?? 0)).toString(16)}:${(((v4[2] ?? 0) << 8) | (v4[3] ?? 0)).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = rest === undefined || rest === '' ? [] : rest.split(':');
  const groups =
    rest === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  groups.forEach((g, i) => {
    const v = Number.parseInt(g, 16);
    bytes[2 * i] = v >> 8;
    bytes[2 * i + 1] = v & 0xff;
  });
  return bytes;
}

function inV4(b: Uint8Array, a: number, bits: number, ...prefix: number[]): boolean {
  // prefix bytes, compared over `bits` bits (a is the first byte)
  const want = [a, ...prefix];
  for (let i = 0; i < 4 && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((b[i] ?? 0) & mask) !== ((want[i] ?? 0) & mask)) return false;
  }
  return true;
}

function classifyV4(b: Uint8Array): AddressClass {
  if (inV4(b, 0, 8)) return 'unspecified';
  if (inV4(b, 127, 8)) return 'loopback';
  if (inV4(b, 169, 32, 254, 169, 254)) return 'metadata';
  if (inV4(b, 169, 16, 254)) return 'linkLocal';
  if (inV4(b, 10, 8) || inV4(b, 172, 12, 16) || inV4(b, 192, 16, 168)) return 'private';
  if (inV4(b, 100, 10, 64)) return 'cgnat';
  if (inV4(b, 224, 4)) return 'multicast';
  if (
    inV4(b, 240, 4) || // reserved, and 255.255.255.255 broadcast
    inV4(b, 192, 24, 0, 0) || // IETF protocol assignments
    inV4(b, 192, 24, 0, 2) || // TEST-NET-1
    inV4(b, 198, 15, 18) || // benchmarking
    inV4(b, 198, 24, 51, 100) || // TEST-NET-2
    inV4(b, 203, 24, 0, 113) || // TEST-NET-3
    inV4(b, 192, 24, 88, 99) // 6to4 relay anycast
  ) {
    return 'reserved';
  }
  return 'public';
}

const METADATA_V6 = parseAddress('fd00:ec2::254')?.bytes as Uint8Array;

function classifyV6(b: Uint8Array): AddressClass {
  const zeroUntil = (n: number) => b.subarray(0, n).every((x) => x === 0);
  if (zeroUntil(16)) return 'unspecified';
  if (zeroUntil(15) && b[15] === 1) return 'loopback';
  // IPv4-mapped (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d): judged as the IPv4 address they carry.
  if (zeroUntil(10) && b[10] === 0xff && b[11] === 0xff) return classifyV4(b.subarray(12));
  if (zeroUntil(12)) return classifyV4(b.subarray(12));
  // NAT64 (64:ff9b::/96) and 6to4 (2002::/16) embed an IPv4 address too.
  if (
    b[0] === 0 &&
    b[1] === 0x64 &&
    b[2] === 0xff &&
    b[3] === 0x9b &&
    b.subarray(4, 12).every((x) => x === 0)
  ) {
    return classifyV4(b.subarray(12));
  }
  if (b[0] === 0x20 && b[1] === 0x02) return classifyV4(b.subarray(2, 6));
  if (b.every((x, i) => x === METADATA_V6[i])) return 'metadata';
  const first = b[0] as number;
  const second = b[1] as number;
  if ((first & 0xfe) === 0xfc) return 'private';
  if (first === 0xfe && (second & 0xc0) === 0x80) return 'linkLocal';
  if (first === 0xfe && (second & 0xc0) === 0xc0) return 'reserved'; // site-local, deprecated
  if (first === 0xff) return 'multicast';
  if (first === 0x20 && second === 0x01 && b[2] === 0x0d && b[3] === 0xb8) return 'reserved'; // documentation
  if (first === 0x01 && second === 0 && b.subarray(2, 8).every((x) => x === 0)) return 'reserved'; // discard 100::/64
  // Anything outside global unicast 2000::/3 is unassigned.
  if ((first & 0xe0) !== 0x20) return 'reserved';
  return 'public';
}

export function classifyAddress(input: string): AddressClass {
  const ip = parseAddress(input);
  if (!ip) return 'invalid';
  return ip.family === 4 ? classifyV4(ip.bytes) : classifyV6(ip.bytes);
}

/** An operator allow-list entry: an address or CIDR ("127.0.0.1/32", "::1", "10.1.0.0/16"). */
export interface Cidr {
  ip: IpAddress;
  bits: number;
}

/**
 * The widest allow-list block per family: an allow-list entry opens private and metadata addresses to
 * every tenant's webhooks, so a block wider than a /8 (IPv4) or /32 (IPv6), let alone a typo read as /0
 * ("127.0.0.1/" once meant every IPv4 address, 169.254.169.254 included), is refused, never widened.
 */
export const WIDEST_ALLOW_BITS = { 4: 8, 6: 32 } as const;

/**
 * Parses one allow-list entry strictly: the prefix length, when present, is 1 to 3 digits and at most
 * 32 (IPv4) or 128 (IPv6), and at least WIDEST_ALLOW_BITS. Throws AppError VALIDATION_FAILED naming the
 * entry (the engine calls this at config load, so a malformed allow-list stops the start).
 */
export function parseCidr(entry: string): Cidr {
  const slash = entry.indexOf('/');
  const addr = slash === -1 ? entry : entry.slice(0, slash);
  const bitsText = slash === -1 ? undefined : entry.slice(slash + 1);
  const ip = parseAddress(addr);
  if (!ip || (bitsText !== undefined && !/^\d{1,3}$/.test(bitsText))) {
    throw new AppError('VALIDATION_FAILED', `"${entry}" is not an address or CIDR block.`, { entry });
  }
  const max = ip.family === 4 ? 32 : 128;
  const bits = bitsText === undefined ? max : Number(bitsText);
  if (bits > max) {
    throw new AppError('VALIDATION_FAILED', `"${entry}": an IPv${ip.family} prefix is at most /${max}.`, {
      entry,
    });
  }
  const widest = WIDEST_ALLOW_BITS[ip.family];
  if (bits < widest) {
    throw new AppError(
      'VALIDATION_FAILED',
      `"${entry}" is wider than /${widest}: list the narrower blocks the receivers are in instead.`,
      { entry, reason: 'too_wide' },
    );
  }
  return { ip, bits };
}

export function cidrContains(cidr: Cidr, ip: IpAddress): boolean {
  if (cidr.ip.family !== ip.family) return false;
  let bits = cidr.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if (((cidr.ip.bytes[i] as number) & mask) !== ((ip.bytes[i] as number) & mask)) return false;
  }
  return true;
}

export interface TargetPolicy {
  /** Ports a target may use (TradingView allows 80 and 443 only). */
  allowedPorts: readonly number[];
  /** Operator allow-list: addresses here are reachable whatever their class (e.g. a local receiver). */
  allow: readonly Cidr[];
}

export const defaultTargetPolicy: TargetPolicy = { allowedPorts: [80, 443], allow: [] };

/** A checked target: connect to `address`, never to a fresh resolution of the host (DNS rebinding). */
export interface ResolvedTarget {
  url: URL;
  address: string;
  family: 4 | 6;
  port: number;
}

export type Resolver = (host: string) => Promise<{ address: string; family: number }[]>;

const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

/** Why a target was refused; `details.reason` of the AppError (code VALIDATION_FAILED). */
export type TargetRefusal = 'scheme' | 'credentials' | 'port' | 'unresolved' | AddressClass;

function refused(reason: TargetRefusal, message: string, url: string): AppError {
  return new AppError('VALIDATION_FAILED', message, { reason, url });
}

export function addressAllowed(address: string, policy: TargetPolicy): AddressClass | 'allowed' {
  const ip = parseAddress(address);
  if (!ip) return 'invalid';
  if (policy.allow.some((c) => cidrContains(c, ip))) return 'allowed';
  const cls = ip.family === 4 ? classifyV4(ip.bytes) : classifyV6(ip.bytes);
  return cls === 'public' ? 'allowed' : cls;
}

/**
 * Checks a webhook URL and resolves its host once: http/https only, no user:password, an allowed port,
 * and every address the name resolves to must be public or allow-listed (one bad address refuses the
 * target: an attacker's name could resolve to a public and a private address). Throws AppError
 * VALIDATION_FAILED with `details.reason`.
 */
export async function resolveTarget(
  rawUrl: string,
  policy: TargetPolicy,
  resolve: Resolver = systemResolver,
): Promise<ResolvedTarget> {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    throw refused('scheme', 'The webhook URL is not a valid URL.', rawUrl);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw refused('scheme', 'A webhook URL starts with http:// or https://.', rawUrl);
  }
  if (url.username !== '' || url.password !== '') {
    throw refused('credentials', 'A webhook URL may not carry a user name or password.', rawUrl);
  }
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (!policy.allowedPorts.includes(port)) {
    throw refused('port', `Webhooks may use ports ${policy.allowedPorts.join(', ')} only.`, rawUrl);
  }
  const literal = parseAddress(url.hostname);
  let candidates: { address: string; family: number }[];
  if (literal) {
    candidates = [{ address: url.hostname.replace(/^\[|\]$/g, ''), family: literal.family }];
  } else {
    try {
      candidates = await resolve(url.hostname);
    } catch {
      candidates = [];
    }
    if (candidates.length === 0)
      throw refused('unresolved', `The host ${url.hostname} does not resolve.`, rawUrl);
  }
  for (const c of candidates) {
    const verdict = addressAllowed(c.address, policy);
    if (verdict !== 'allowed') {
      throw refused(
        verdict,
        `The webhook target resolves to a ${verdict} address, which is not allowed.`,
        rawUrl,
      );
    }
  }
  const first = candidates[0] as { address: string; family: number };
  return { url, address: first.address, family: first.family === 6 ? 6 : 4, port };
}
