import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCredentialCache } from '../src/auth/credential-cache.ts';
import type { Principal } from '../src/auth/principal.ts';

const principal: Principal = {
  via: 'session',
  tenant: { id: 't1', name: 'T', tier: 'PRO', createdAt: '2026-01-01T00:00:00.000Z' },
  role: 'TRADER',
  scopes: ['read', 'trade'],
  userId: 'u1',
  apiKeyId: null,
};
const T0 = Date.UTC(2026, 0, 1);

describe.skipIf(!process.env.REDIS_URL)('credential cache across engine instances (Redis)', () => {
  let redisA: Redis;
  let redisB: Redis;
  const keyPrefix = `qt-test-${randomBytes(4).toString('hex')}`;

  beforeAll(() => {
    redisA = new Redis(process.env.REDIS_URL as string);
    redisB = new Redis(process.env.REDIS_URL as string);
  });
  afterAll(async () => {
    await redisA?.del(`${keyPrefix}:auth:generation`);
    await redisA?.quit();
    await redisB?.quit();
  });

  it('drops instance A’s verifications the moment instance B invalidates (a key revoked on B)', async () => {
    const a = createCredentialCache({ redis: redisA, keyPrefix });
    const b = createCredentialCache({ redis: redisB, keyPrefix });
    const g = await a.generation();
    expect(g).not.toBeNull();
    a.put('token', principal, g as string, null, T0);
    expect(a.get('token', (await a.generation()) as string, T0)).toBe(principal);
    await b.invalidate();
    expect(a.get('token', (await a.generation()) as string, T0)).toBeNull();
  });

  it('is bypassed, not trusted, when Redis cannot be read', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    down.on('error', () => {});
    const errors: string[] = [];
    const cache = createCredentialCache({ redis: down, keyPrefix, onError: (_e, what) => errors.push(what) });
    expect(await cache.generation()).toBeNull();
    expect(errors).toEqual(['read the credential generation']);
    down.disconnect();
  });
});
