import { ManualClock, PUBLIC_RATE } from '@qt/shared';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { remainingOf } from './limit-helpers.ts';

/**
 * Public procedures (no credential) are limited per client address with the RateLimit headers, and
 * system.health probes its dependencies at most once a second whoever asks. One engine, buckets in
 * memory on an injected clock, so the numbers are exact; the address comes from X-Forwarded-For, which
 * the engine believes from its (trusted, loopback) test client.
 */
describe('public procedures: per-address budget and cached health', () => {
  let t: TestEngine;
  const clock = new ManualClock(Date.now());

  beforeAll(async () => {
    t = await startTestEngine({ rateLimits: true, redisUrl: undefined }, clock);
  }, 120_000);
  afterAll(async () => {
    await t?.stop();
  });

  async function publicCall(path: string, ip: string, input?: unknown, method: 'GET' | 'POST' = 'GET') {
    const qs =
      method === 'GET' && input !== undefined ? `?input=${encodeURIComponent(JSON.stringify(input))}` : '';
    const res = await fetch(`${t.url}/${path}${qs}`, {
      method,
      headers: { 'x-forwarded-for': ip, 'content-type': 'application/json' },
      ...(method === 'POST' ? { body: JSON.stringify(input ?? null) } : {}),
    });
    const body = (await res.json()) as {
      error?: { data?: { appCode?: string; details?: Record<string, unknown> } };
    };
    return {
      status: res.status,
      policy: res.headers.get('ratelimit-policy'),
      rateLimit: res.headers.get('ratelimit'),
      retryAfter: res.headers.get('retry-after'),
      appCode: body.error?.data?.appCode ?? null,
      details: body.error?.data?.details ?? null,
    };
  }

  it('a flood from one address gets 429 with headers after the burst; another address is served', async () => {
    const ip = '198.51.100.77';
    const answers = [];
    const paths = ['system.version', 'strategies.examples', 'system.health'];
    for (let i = 0; i < PUBLIC_RATE.burst + 20; i++)
      answers.push(await publicCall(paths[i % 3] as string, ip));
    const served = answers.filter((a) => a.status === 200);
    expect(served).toHaveLength(PUBLIC_RATE.burst);
    expect(answers[0]?.policy).toBe(`"ip";q=${PUBLIC_RATE.limit};w=${PUBLIC_RATE.windowSeconds}`);
    expect(remainingOf(answers[0]?.rateLimit ?? null, 'ip')).toBe(PUBLIC_RATE.burst - 1);

    const refused = answers.at(-1);
    expect(refused?.status).toBe(429);
    expect(refused?.appCode).toBe('RATE_LIMITED');
    expect(refused?.retryAfter).toBe('1');
    expect(refused?.policy).toBe(`"ip";q=${PUBLIC_RATE.limit};w=${PUBLIC_RATE.windowSeconds}`);
    expect(remainingOf(refused?.rateLimit ?? null, 'ip')).toBe(0);
    expect(refused?.details).toMatchObject({ scope: 'ip', limit: PUBLIC_RATE.limit, retryAfterSeconds: 1 });

    // Another address, and another IPv6 /64, have budgets of their own; the same /64 shares one.
    expect((await publicCall('system.version', '198.51.100.78')).status).toBe(200);
    const v6 = '2001:db8:1:2::1';
    for (let i = 0; i < PUBLIC_RATE.burst; i++)
      expect((await publicCall('system.version', v6)).status).toBe(200);
    expect((await publicCall('system.version', '2001:db8:1:2:ffff::9')).status).toBe(429);
    expect((await publicCall('system.version', '2001:db8:1:3::1')).status).toBe(200);

    // auth.* keeps its own attempt limiters: not refused by the spent address budget.
    const signIn = await publicCall(
      'auth.signIn',
      ip,
      { email: 'nobody@example.test', password: 'wrong-password-123' },
      'POST',
    );
    expect(signIn.details?.scope).not.toBe('ip');
    expect(signIn.policy).toBeNull();

    // The bucket refills at limit / window: after 1 s (injected clock), 5 calls pass again.
    clock.advance(1_000);
    const refill = PUBLIC_RATE.limit / PUBLIC_RATE.windowSeconds;
    for (let i = 0; i < refill; i++) expect((await publicCall('system.version', ip)).status).toBe(200);
    expect((await publicCall('system.version', ip)).status).toBe(429);
  });

  it('system.health is answered from a 1 s cache: concurrent and repeated calls share one probe', async () => {
    const api = t.engine.api;
    const probe = api.health;
    let probes = 0;
    api.health = () => {
      probes++;
      return probe();
    };
    try {
      // The test above called system.health moments ago: let that cached answer age out (the cache's TTL
      // is 1 s), so this test sees its own probe.
      await new Promise((r) => setTimeout(r, 1_100));
      const started = performance.now();
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          t.client(null, { 'x-forwarded-for': `203.0.113.${i + 1}` }).system.health.query(),
        ),
      );
      for (let i = 0; i < 10; i++) {
        answers.push(await t.client(null, { 'x-forwarded-for': '203.0.113.200' }).system.health.query());
      }
      const elapsedMs = performance.now() - started;
      expect(answers.every((a) => a.status === 'ok')).toBe(true);
      // One probe per started second at most (40 calls without the cache).
      expect(probes).toBeGreaterThanOrEqual(1);
      expect(probes).toBeLessThanOrEqual(Math.ceil(elapsedMs / 1_000) + 1);
    } finally {
      api.health = probe;
    }
  });
});
