import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appCodeOf, startTestEngine, type TestEngine } from '../support/test-engine.ts';

let t: TestEngine;
beforeAll(async () => {
  t = await startTestEngine({ webOrigins: ['http://dashboard.test'] });
});
afterAll(() => t?.stop());

describe('operational endpoints', () => {
  it('answers liveness, readiness with each component, and Prometheus metrics', async () => {
    const base = t.engine.server.url;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    const report = (await ready.json()) as { status: string; components: Record<string, { ok: boolean }> };
    expect(report.status).toBe('ok');
    expect(report.components.database?.ok).toBe(true);
    expect(report.components.bus?.ok).toBe(true);
    if (process.env.REDIS_URL) expect(report.components.redis?.ok).toBe(true);

    await t.client().system.version.query();
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toContain('qt_api_calls_total{path="system.version",type="query",result="ok"');
    expect(metrics).toContain('qt_api_call_duration_seconds_bucket');
    expect(metrics).toContain('qt_component_up{component="database"');
    expect(metrics).toMatch(/qt_bus_connected\{kind="(nats|in-process)",service="engine"\} 1/);
    expect(metrics).toContain('qt_bus_rejected_messages{');
  });

  it('sends CORS headers to the configured dashboard origin only', async () => {
    const pre = (origin: string) =>
      fetch(`${t.url}/accounts.me`, {
        method: 'OPTIONS',
        headers: {
          origin,
          'access-control-request-method': 'GET',
          'access-control-request-headers': 'authorization',
        },
      });
    const ok = await pre('http://dashboard.test');
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://dashboard.test');
    expect(ok.headers.get('access-control-allow-headers')).toContain('authorization');
    expect((await pre('http://evil.test')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('serves the same API over WebSocket with the credential in the connection params', async () => {
    const alice = await t.signUp('ws');
    const signedIn = t.wsClient(alice.token);
    const anonymous = t.wsClient(null);
    try {
      expect((await signedIn.client.accounts.me.query()).user?.id).toBe(alice.user.id);
      expect(await appCodeOf(anonymous.client.accounts.me.query())).toBe('AUTH_REQUIRED');
    } finally {
      await signedIn.close();
      await anonymous.close();
    }
  });

  it('hides internal errors behind a generic message with a stable code', async () => {
    const res = await fetch(`${t.url}/no.such.procedure`);
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: { message: string; data: { stack?: string } } };
    expect(body.error.data.stack).toBeUndefined();
  });
});

describe('graceful shutdown', () => {
  it('finishes in-flight calls, then refuses new ones and reports not ready', async () => {
    const other = await startTestEngine();
    // Hold one call inside the server, so "in flight" does not depend on timing.
    let arrived!: () => void;
    const inside = new Promise<void>((r) => {
      arrived = r;
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const health = other.engine.api.health;
    other.engine.api.health = async () => {
      arrived();
      await gate;
      return health();
    };
    const inFlight = other.client().system.health.query();
    await inside;
    const stopping = other.stop();
    await new Promise((r) => setTimeout(r, 50));
    // While draining, a new call is not served (connection refused or 503), and readiness is gone.
    const late = await fetch(`${other.engine.server.url}/readyz`).then(
      (r) => r.status,
      () => 'refused',
    );
    expect(late === 'refused' || late === 503).toBe(true);
    release();
    await expect(inFlight).resolves.toMatchObject({ status: 'ok' });
    await stopping;
    await expect(fetch(`${other.engine.server.url}/healthz`)).rejects.toThrow();
  });
});
