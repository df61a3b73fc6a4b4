import { isAppError } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import {
  type AddressClass,
  classifyAddress,
  parseCidr,
  resolveTarget,
  type TargetPolicy,
} from '../src/index.ts';

const table: [string, AddressClass][] = [
  ['127.0.0.1', 'loopback'],
  ['127.1', 'loopback'],
  ['0x7f.1', 'loopback'],
  ['0177.0.0.1', 'loopback'],
  ['2130706433', 'loopback'],
  ['0x7f000001', 'loopback'],
  ['127.255.255.254', 'loopback'],
  ['::1', 'loopback'],
  ['[::1]', 'loopback'],
  ['0:0:0:0:0:0:0:1', 'loopback'],
  ['::ffff:127.0.0.1', 'loopback'],
  ['[::ffff:7f00:1]', 'loopback'],
  ['::127.0.0.1', 'loopback'],
  ['64:ff9b::7f00:1', 'loopback'],
  ['2002:7f00:1::', 'loopback'],
  ['10.0.0.1', 'private'],
  ['10.255.255.255', 'private'],
  ['172.16.0.1', 'private'],
  ['172.31.255.255', 'private'],
  ['192.168.1.1', 'private'],
  ['::ffff:10.0.0.1', 'private'],
  ['::ffff:192.168.0.1', 'private'],
  ['fc00::1', 'private'],
  ['fd12:3456::1', 'private'],
  ['100.64.0.1', 'cgnat'],
  ['100.127.255.255', 'cgnat'],
  ['::ffff:100.64.0.1', 'cgnat'],
  ['169.254.169.254', 'metadata'],
  ['::ffff:169.254.169.254', 'metadata'],
  ['[::ffff:a9fe:a9fe]', 'metadata'],
  ['fd00:ec2::254', 'metadata'],
  ['169.254.1.1', 'linkLocal'],
  ['fe80::1', 'linkLocal'],
  ['febf::1', 'linkLocal'],
  ['224.0.0.1', 'multicast'],
  ['239.255.255.250', 'multicast'],
  ['ff02::1', 'multicast'],
  ['::ffff:224.0.0.1', 'multicast'],
  ['0.0.0.0', 'unspecified'],
  ['0.1.2.3', 'unspecified'],
  ['0', 'unspecified'],
  ['::', 'unspecified'],
  ['::ffff:0.0.0.0', 'unspecified'],
  ['255.255.255.255', 'reserved'],
  ['240.0.0.1', 'reserved'],
  ['192.0.2.1', 'reserved'],
  ['2001:db8::1', 'reserved'],
  ['fec0::1', 'reserved'],
  ['8.8.8.8', 'public'],
  ['1.1.1.1', 'public'],
  ['172.32.0.1', 'public'],
  ['100.128.0.1', 'public'],
  ['169.255.0.1', 'public'],
  ['2606:4700:4700::1111', 'public'],
  ['::ffff:8.8.8.8', 'public'],
  ['example.com', 'invalid'],
  ['1.2.3.4.5', 'invalid'],
  ['256.0.0.1', 'invalid'],
  ['::ffff:1::2::3', 'invalid'],
];

describe('SSRF address classifier', () => {
  it.each(table)('classifies %s as %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });
});

const policy = (allow: string[] = [], ports = [80, 443]): TargetPolicy => ({
  allowedPorts: ports,
  allow: allow.map(parseCidr),
});

async function reason(
  url: string,
  p: TargetPolicy,
  resolve?: (h: string) => Promise<{ address: string; family: number }[]>,
) {
  try {
    await resolveTarget(url, p, resolve);
  } catch (err) {
    if (isAppError(err)) return (err.details as { reason: string }).reason;
    throw err;
  }
  return 'allowed';
}

describe('webhook targets', () => {
  it('refuses other schemes, credentials and ports outside the list', async () => {
    expect(await reason('ftp://example.com/x', policy())).toBe('scheme');
    expect(await reason('http://user:pw@8.8.8.8/x', policy())).toBe('credentials');
    expect(await reason('http://8.8.8.8:8080/x', policy())).toBe('port');
    expect(await reason('https://8.8.8.8/x', policy())).toBe('allowed');
  });

  it('refuses loopback written any way, after resolving names, unless the operator allows it', async () => {
    expect(await reason('http://127.1/', policy())).toBe('loopback');
    expect(await reason('http://0x7f.1/', policy())).toBe('loopback');
    expect(await reason('http://[::ffff:127.0.0.1]/', policy())).toBe('loopback');
    expect(await reason('http://localhost/', policy())).toBe('loopback');
    expect(await reason('http://127.1/', policy(['127.0.0.0/8']))).toBe('allowed');
    expect(await reason('http://[::1]/', policy(['127.0.0.0/8']))).toBe('loopback');
  });

  it('refuses a name when any of its addresses is not public (no picking the good one)', async () => {
    const twoFaced = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '169.254.169.254', family: 4 },
    ];
    expect(await reason('https://rebind.example/hook', policy(), twoFaced)).toBe('metadata');
    expect(await reason('https://nowhere.example/hook', policy(), async () => [])).toBe('unresolved');
  });
});

describe('operator allow-list entries', () => {
  const refusedEntry = (entry: string) => {
    try {
      parseCidr(entry);
    } catch (err) {
      return (err as { code?: string }).code;
    }
    return 'accepted';
  };

  it('refuses a malformed prefix length instead of reading it as /0 (every address allowed)', () => {
    // Number('') is 0: "127.0.0.1/" used to allow every IPv4 address, the metadata service included.
    for (const typo of [
      '127.0.0.1/',
      '127.0.0.1/ ',
      '127.0.0.1/+8',
      '127.0.0.1/0x8',
      '127.0.0.1/1e1',
      '::1/',
    ]) {
      expect(refusedEntry(typo), typo).toBe('VALIDATION_FAILED');
    }
    expect(refusedEntry('127.0.0.1/33')).toBe('VALIDATION_FAILED');
    expect(refusedEntry('::1/129')).toBe('VALIDATION_FAILED');
    expect(refusedEntry('127.0.0.1/32/8')).toBe('VALIDATION_FAILED');
  });

  it('refuses blocks wider than /8 (IPv4) or /32 (IPv6)', () => {
    expect(refusedEntry('0.0.0.0/0')).toBe('VALIDATION_FAILED');
    expect(refusedEntry('10.0.0.0/7')).toBe('VALIDATION_FAILED');
    expect(refusedEntry('::/0')).toBe('VALIDATION_FAILED');
    expect(refusedEntry('fd00::/31')).toBe('VALIDATION_FAILED');
    expect(parseCidr('10.0.0.0/8').bits).toBe(8);
    expect(parseCidr('fd00::/32').bits).toBe(32);
    expect(parseCidr('127.0.0.1').bits).toBe(32);
    expect(parseCidr('::1').bits).toBe(128);
  });

  it('an accepted loopback entry does not open the metadata address', async () => {
    expect(await reason('http://169.254.169.254/', policy(['127.0.0.1/32']))).toBe('metadata');
  });
});
