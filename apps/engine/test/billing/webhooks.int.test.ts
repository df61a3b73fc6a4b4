import { signPayload } from '@qt/stripe-emulator';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTcpProxy, type TcpProxy, targetOf } from '../support/tcp-proxy.ts';
import { startTestEngine, type TestEngine } from '../support/test-engine.ts';
import { payCheckout, waitUntil } from './stripe-pages.ts';

/**
 * The engine's Stripe webhook endpoint with real deliveries from the emulator and forged ones: only a
 * valid, fresh signature is applied; a replayed event changes nothing; while the database is away the
 * endpoint answers 503, Stripe retries, and the retry applies the change once the database is back.
 */
describe('POST /webhooks/stripe', () => {
  let t: TestEngine;
  let proxy: TcpProxy;
  let stripe: Stripe;
  let secret: string;
  let hook: string;
  let tenantId: string;
  let token: string;

  const post = (body: string | Buffer, signature?: string, method = 'POST') =>
    fetch(hook, {
      method,
      headers: {
        'content-type': 'application/json',
        ...(signature ? { 'stripe-signature': signature } : {}),
      },
      ...(method === 'POST' ? { body } : {}),
    });
  const now = () => Math.floor(Date.now() / 1000);
  const metric = async (outcome: string) => {
    const text = await (await fetch(`${t.engine.server.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`qt_billing_webhooks_total{outcome="${outcome}"`));
    return line ? Number(line.split(' ').pop()) : 0;
  };

  beforeAll(async () => {
    t = await startTestEngine({}, undefined, {
      databaseUrlVia: async (url) => {
        proxy = await startTcpProxy(targetOf(url));
        return proxy.url(url);
      },
      stripeEmulator: { webhooks: { retryDelaysMs: [300, 600, 1_200, 2_400, 4_800, 9_600] } },
    });
    if (!t.stripeEmulator) throw new Error('the test engine runs the Stripe emulator');
    stripe = new Stripe('sk_test_engine_tests', t.stripeEmulator.sdkOptions);
    secret = t.stripeEmulator.webhookSecret;
    hook = `${t.engine.server.url}/webhooks/stripe`;
    const a = await t.signUp('payer');
    tenantId = a.tenant.id;
    token = a.token;
    const { url } = await t.client(token).billing.startCheckout.mutate({ tier: 'PRO', interval: 'month' });
    await payCheckout(url, '4242 4242 4242 4242');
    await waitUntil(
      () => t.client(token).accounts.me.query(),
      (me) => me.tenant.tier === 'PRO',
      5_000,
      'tier PRO',
    );
    await t.stripeEmulator.webhooksIdle(10_000);
  }, 60_000);
  afterAll(async () => {
    proxy?.restore();
    await t?.stop();
    await proxy?.close();
  });

  it('refuses a missing or wrong signature and a stale timestamp with 400, writing nothing', async () => {
    const event = t.stripeEmulator?.events().at(-1);
    const payload = JSON.stringify({ ...event, id: 'evt_forged_1' });
    const before = await t.engine.api.db.stripeEvent.count();
    expect((await post(payload)).status).toBe(400);
    expect((await post(payload, `t=${now()},v1=${'0'.repeat(64)}`)).status).toBe(400);
    // Signed with another secret.
    expect((await post(payload, signPayload(payload, 'whsec_not_ours', now()))).status).toBe(400);
    // Stripe's tolerance is 5 minutes: a correctly signed delivery from an hour ago is a replay.
    expect((await post(payload, signPayload(payload, secret, now() - 3_600))).status).toBe(400);
    expect(await t.engine.api.db.stripeEvent.count()).toBe(before);
    expect(await metric('refused')).toBeGreaterThanOrEqual(4);
  });

  it('answers a duplicate delivery 200 without applying it twice', async () => {
    const events = t.stripeEmulator?.events() ?? [];
    const completed = events.find((e) => e.type === 'checkout.session.completed');
    if (!completed) throw new Error('the checkout produced checkout.session.completed');
    const stored = await t.engine.api.db.stripeEvent.findUnique({ where: { id: completed.id } });
    expect(stored).not.toBeNull();
    const rowsBefore = await t.engine.api.db.billingSubscription.findMany({ where: { tenantId } });
    const eventsBefore = await t.engine.api.db.stripeEvent.count();
    const payload = JSON.stringify(completed);
    for (let i = 0; i < 2; i++) {
      const res = await post(payload, signPayload(payload, secret, now()));
      expect(res.status).toBe(200);
    }
    expect(await t.engine.api.db.stripeEvent.count()).toBe(eventsBefore);
    const rowsAfter = await t.engine.api.db.billingSubscription.findMany({ where: { tenantId } });
    expect(rowsAfter).toEqual(rowsBefore);
    expect((await t.client(token).accounts.me.query()).tenant.tier).toBe('PRO');
  });

  it('answers 405 to other methods and 413 to a body over 1 MiB', async () => {
    expect((await post('', undefined, 'GET')).status).toBe(405);
    const big = Buffer.alloc((1 << 20) + 10, 0x20);
    expect((await post(big, signPayload(big.toString(), secret, now()))).status).toBe(413);
  });

  it('answers 503 while the database is down; the retry applies the change once it is back', async () => {
    const row = await t.engine.api.db.billingSubscription.findFirstOrThrow({
      where: { tenantId, kind: 'plan' },
    });
    expect(row.cancelAtPeriodEnd).toBe(false);
    const emulator = t.stripeEmulator;
    if (!emulator) throw new Error('emulator');
    const failedBefore = emulator.webhookStats().failedAttempts;
    const retriesBefore = await metric('retry');
    proxy.cut();
    try {
      // The customer cancels at the period end (as in the portal): customer.subscription.updated.
      await stripe.subscriptions.update(row.stripeSubscriptionId, { cancel_at_period_end: true });
      await waitUntil(
        async () => emulator.webhookStats().failedAttempts,
        (n) => n > failedBefore,
        15_000,
        'a refused delivery',
      );
      expect(await metric('retry')).toBeGreaterThan(retriesBefore);
    } finally {
      proxy.restore();
    }
    const applied = await waitUntil(
      () => t.engine.api.db.billingSubscription.findFirstOrThrow({ where: { tenantId, kind: 'plan' } }),
      (r) => r.cancelAtPeriodEnd,
      30_000,
      'the retried delivery applied',
    );
    expect(applied.access).toBe('active');
    await emulator.webhooksIdle(30_000);
    expect(emulator.webhookStats().givenUp).toBe(0);
    expect((await t.client(token).accounts.me.query()).tenant.tier).toBe('PRO');
  }, 60_000);
});
