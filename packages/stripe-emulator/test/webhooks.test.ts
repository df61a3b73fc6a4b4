import Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { makePrice, payCheckout, startReceiver, startWithSdk } from './harness.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(
  respond: (n: number, body: string) => number,
  webhooks: Parameters<typeof startWithSdk>[0] = {},
) {
  const receiver = await startReceiver(respond);
  const { emulator, stripe } = await startWithSdk({
    webhookUrl: receiver.url,
    webhookSecret: 'whsec_retry',
    ...webhooks,
  });
  cleanups.push(
    () => emulator.stop(),
    () => receiver.close(),
  );
  return { receiver, emulator, stripe };
}

const typeOf = (body: string) => JSON.parse(body) as { type: string; id: string };

describe('webhook delivery', () => {
  it('retries a delivery answered 500 until it gets a 2xx, signing every attempt', async () => {
    const { receiver, emulator, stripe } = await setup((n) => (n < 2 ? 500 : 200), {
      webhooks: { retryDelaysMs: [20, 40, 80] },
    });
    await stripe.customers.create({ email: 'retry@example.com' });
    await emulator.webhooksIdle();
    expect(receiver.received.map((r) => r.status)).toEqual([500, 500, 200]);
    const ids = new Set(receiver.received.map((r) => typeOf(r.body).id));
    expect(ids.size).toBe(1);
    for (const r of receiver.received) {
      expect(() =>
        stripe.webhooks.constructEvent(r.body, r.headers['stripe-signature'] as string, 'whsec_retry'),
      ).not.toThrow();
    }
    expect(emulator.webhookStats()).toMatchObject({
      delivered: 1,
      failedAttempts: 2,
      givenUp: 0,
      pending: 0,
    });
    const [event] = emulator.events();
    expect(event?.pending_webhooks).toBe(0);
  });

  it('gives up after the last retry of the schedule', async () => {
    const { receiver, emulator, stripe } = await setup(() => 503, { webhooks: { retryDelaysMs: [10, 10] } });
    await stripe.customers.create({});
    await emulator.webhooksIdle();
    expect(receiver.received).toHaveLength(3);
    expect(emulator.webhookStats()).toMatchObject({ delivered: 0, failedAttempts: 3, givenUp: 1 });
    // Still listed, as Stripe keeps undelivered events.
    expect((await stripe.events.list({ type: 'customer.*' })).data).toHaveLength(1);
  });

  it('retries a delivery that outlives the timeout', async () => {
    let calls = 0;
    const { receiver, emulator, stripe } = await setup(() => 200, {
      webhooks: { retryDelaysMs: [10], timeoutMs: 1_500 },
    });
    // Point at a server that never answers the first request.
    const { createServer } = await import('node:http');
    const slow = createServer((req, res) => {
      calls++;
      if (calls === 1) return; // hang
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    });
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      slow.closeAllConnections();
      return new Promise((r) => slow.close(() => r()));
    });
    emulator.setWebhook(`http://127.0.0.1:${(slow.address() as { port: number }).port}/`);
    await stripe.customers.create({});
    await emulator.webhooksIdle();
    expect(calls).toBe(2);
    expect(emulator.webhookStats()).toMatchObject({ delivered: 1, failedAttempts: 1 });
    expect(receiver.received).toHaveLength(0);
  });

  it('can shuffle and duplicate deliveries so consumers are tested against both', async () => {
    const { receiver, emulator, stripe } = await setup(() => 200, {
      webhooks: { shuffle: true, duplicateRate: 1, seed: 7 },
    });
    // Checkout completion creates eight events in one turn, all queued before the first is sent.
    const price = await makePrice(stripe, 700);
    const session = await stripe.checkout.sessions.create({
      mode: 'subscription',
      line_items: [{ price: price.id }],
      customer_email: 'shuffle@example.com',
      success_url: 'http://app.test/ok',
    });
    await emulator.webhooksIdle();
    const before = emulator.events().length;
    expect((await payCheckout(session.url as string, '4242424242424242')).status).toBe(303);
    await emulator.webhooksIdle();
    const created = emulator
      .events()
      .slice(before)
      .map((e) => e.id);
    expect(created.length).toBeGreaterThanOrEqual(8);
    const arrived = receiver.received.map((r) => typeOf(r.body).id).filter((id) => created.includes(id));
    expect(arrived).toHaveLength(created.length * 2);
    expect(new Set(arrived)).toEqual(new Set(created));
    expect([...new Set(arrived)]).not.toEqual(created);
  });
});

describe('emulator bounds', () => {
  it('answers 429 when a kind reaches its object cap, and forgets the oldest events instead', async () => {
    const { emulator, stripe } = await startWithSdk({ limits: { maxObjectsPerKind: 3 } });
    cleanups.push(() => emulator.stop());
    for (let i = 0; i < 3; i++) await stripe.customers.create({});
    const err = await stripe.customers.create({}).catch((e) => e);
    expect(err).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
    expect(err.code).toBe('emulator_object_limit');
    await stripe.products.create({ name: 'a' });
    expect(emulator.events()).toHaveLength(3);
    expect(emulator.events().at(-1)?.type).toBe('product.created');
  });

  it('refuses a body over the size limit', async () => {
    const { emulator, stripe } = await startWithSdk({ limits: { maxBodyBytes: 1024 } });
    cleanups.push(() => emulator.stop());
    const err = await stripe.customers.create({ description: 'x'.repeat(4096) }).catch((e) => e);
    expect(err.statusCode).toBe(413);
  });
});
