import { isIP } from 'node:net';

/**
 * The rate-limit bucket of a client address (the address itself stays in `ctx.ip` for logs).
 *
 * IPv4: the address. IPv6: its /64 prefix. One subscriber, host or VM is normally given a whole /64 (an
 * end site gets /48 to /56), and it can pick any of the 2^64 addresses in it: keyed on full addresses,
 * one attacker would have 2^64 fresh budgets. A /64 is the smallest block that stays with one party.
 * Anything else (`unknown`) is its own bucket.
 */
export function ipBucket(ip: string): string {
  const address = ip.replace(/%.*$/, '').toLowerCase();
  if (isIP(address) !== 6) return ip;
  const groups = ipv6Groups(address);
  return groups ? `${groups.slice(0, 4).join(':')}::/64` : ip;
}

/** The eight 16-bit groups of an IPv6 address, without leading zeros; null if it does not parse. */
function ipv6Groups(address: string): string[] | null {
  let text = address;
  // A dotted IPv4 tail (::ffff:1.2.3.4, 64:ff9b::1.2.3.4) is the last two groups.
  const v4 = /(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  return groups.map((g) => Number.parseInt(g, 16).toString(16));
}
