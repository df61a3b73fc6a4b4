import { describe, expect, it } from 'vitest';
import { ipBucket } from '../src/auth/ip-bucket.ts';

describe('ipBucket', () => {
  it('keys IPv4 addresses on the address', () => {
    expect(ipBucket('198.51.100.10')).toBe('198.51.100.10');
    expect(ipBucket('198.51.100.11')).not.toBe(ipBucket('198.51.100.10'));
  });

  it('keys every address of one IPv6 /64 on one bucket, whatever the spelling', () => {
    const bucket = ipBucket('2001:db8:1:2::1');
    expect(bucket).toBe('2001:db8:1:2::/64');
    for (const same of [
      '2001:db8:1:2:ffff:ffff:ffff:ffff',
      '2001:0DB8:0001:0002:0:0:0:2',
      '2001:db8:1:2:abcd::9',
      '2001:db8:1:2::7%eth0',
    ]) {
      expect(ipBucket(same)).toBe(bucket);
    }
    expect(ipBucket('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(ipBucket('::1')).toBe('0:0:0:0::/64');
    expect(ipBucket('2001:db8::')).toBe('2001:db8:0:0::/64');
    expect(ipBucket('64:ff9b::198.51.100.1')).toBe('64:ff9b:0:0::/64');
  });

  it('leaves what is not an address alone', () => {
    expect(ipBucket('unknown')).toBe('unknown');
  });
});
