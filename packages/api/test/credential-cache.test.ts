import { describe, expect, it } from 'vitest';
import { createCredentialCache } from '../src/auth/credential-cache.ts';
import type { Principal } from '../src/auth/principal.ts';

const principal: Principal = {
  via: 'apiKey',
  tenant: { id: 't1', name: 'T', tier: 'PRO', createdAt: '2026-01-01T00:00:00.000Z' },
  role: 'OWNER',
  scopes: ['read', 'trade'],
  userId: 'u1',
  apiKeyId: 'k1',
};
const T0 = Date.UTC(2026, 0, 1);

describe('credential cache (in process)', () => {
  it('serves a verification until its TTL or the credential expiry, whichever is first', async () => {
    const cache = createCredentialCache({ ttlMs: 5_000 });
    const g = (await cache.generation()) as string;
    cache.put('key-a', principal, g, null, T0);
    cache.put('key-b', principal, g, T0 + 1_000, T0);
    expect(cache.get('key-a', g, T0 + 4_999)).toBe(principal);
    expect(cache.get('key-a', g, T0 + 5_000)).toBeNull();
    expect(cache.get('key-b', g, T0 + 999)).toBe(principal);
    expect(cache.get('key-b', g, T0 + 1_000)).toBeNull();
    expect(cache.get('unknown', g, T0)).toBeNull();
  });

  it('never serves an entry verified before an invalidation, even one stored after it (a race)', async () => {
    const cache = createCredentialCache();
    const before = (await cache.generation()) as string;
    cache.put('key', principal, before, null, T0);
    await cache.invalidate();
    expect(cache.get('key', before, T0)).toBeNull();
    // A lookup that started before the revocation and finishes after it stores with the old generation.
    cache.put('key', principal, before, null, T0);
    const now = (await cache.generation()) as string;
    expect(now).not.toBe(before);
    expect(cache.get('key', now, T0)).toBeNull();
  });

  it('stays within its size bound, dropping the oldest verifications first', async () => {
    const cache = createCredentialCache({ maxEntries: 3 });
    const g = (await cache.generation()) as string;
    for (const k of ['a', 'b', 'c', 'd']) cache.put(k, principal, g, null, T0);
    expect(cache.size).toBe(3);
    expect(cache.get('a', g, T0)).toBeNull();
    expect(cache.get('d', g, T0)).toBe(principal);
  });
});
