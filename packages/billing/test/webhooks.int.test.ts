import { createPrisma } from '@qt/db';
import { withClient } from '@qt/db/testing';
import { liveClock } from '@qt/shared';
import type Stripe from 'stripe';
import { afterEach, describe, expect, it } from 'vitest';
import { createBilling } from '../src/create-billing.ts';
import { type Harness, payCheckout, scope, startHarness, WEB, waitFor } from './harness.ts';

const harnesses: Harness[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.stop();
});

async function start(webhooks: Parameters<typeof startHarness>[0] = {}) {
  const h = await startHarness(webhooks);
  harnesses.push(h);
  await h.billing.ensureCatalog();
  return h;
}

async function buyPro(h: Harness, tenantId: string): Promise<Stripe.Subscription> {
  const { url } = await h.billing.startPlanCheckout(scope(tenantId), { tier: 'PRO', interval: 'month' });
  expect((await payCheckout(url)).status).toBe(303);
  await h.emulator.webhooksIdle(15_000);
  const sub = (await h.stripe.subscriptions.list({ limit: 1 })).data[0];
  if (!sub) throw new Error('no subscription');
  return sub;
}

/** The state everything converges on, without timestamps. */
async function finalState(h: Harness, tenantId: string) {
  const rows = await h.db.prisma.billingSubscription.findMany({ where: { tenantId } });
  const tenant = await h.db.prisma.tenant.findUniqueOrThrow({ where: { id: tenantId } });
  return {
    tier: tenant.tier,
    subs: rows.map((r) => ({
      status: r.status,
      access: r.access,
      tier: r.planTier,
      cape: r.cancelAtPeriodEnd,
    })),
    hookCalls: h.hooks.tiers.map((t) => t.tier),
  };
}

const signed = (h: Harness, payload: string, timestamp?: number) =>
  h.stripe.webhooks.generateTestHeaderString({
    payload,
    secret: h.secret,
    ...(timestamp !== undefined ? { timestamp } : {}),
  });

describe('webhooks', () => {
  it('every event delivered twice is applied once (ledger), and a replay answers duplicate', async () => {
    const h = await start({ duplicateRate: 1 });
    const tenant = await h.tenant();
    await buyPro(h, tenant);
    const stats = h.emulator.webhookStats();
    expect(stats.delivered).toBeGreaterThan(stats.events);
    expect(await finalState(h, tenant)).toEqual({
      tier: 'PRO',
      subs: [{ status: 'active', access: 'active', tier: 'PRO', cape: false }],
      hookCalls: ['PRO'],
    });
    expect(await h.db.prisma.stripeEvent.count()).toBe(stats.events);
    expect(h.answers.filter((a) => a.body.outcome === 'duplicate').length).toBeGreaterThanOrEqual(
      stats.events,
    );

    const event = h.emulator.events().find((e) => e.type === 'invoice.paid');
    const payload = JSON.stringify(event);
    const answer = await h.billing.handleWebhook(Buffer.from(payload), signed(h, payload));
    expect(answer).toEqual({ status: 200, body: { received: true, outcome: 'duplicate' } });
    expect(h.hooks.tiers).toHaveLength(1);
  });

  it('shuffled delivery order reaches the same final state as in order', async () => {
    const states = [];
    for (const webhooks of [
      {},
      { shuffle: true, seed: 7 },
      { shuffle: true, seed: 99, duplicateRate: 0.5 },
    ]) {
      const h = await start(webhooks);
      const tenant = await h.tenant();
      const sub = await buyPro(h, tenant);
      await h.stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
      await h.emulator.webhooksIdle(15_000);
      states.push(await finalState(h, tenant));
    }
    expect(states[0]).toEqual({
      tier: 'PRO',
      subs: [{ status: 'active', access: 'active', tier: 'PRO', cape: true }],
      hookCalls: ['PRO'],
    });
    expect(states[1]).toEqual(states[0]);
    expect(states[2]).toEqual(states[0]);
  });

  it('refuses a bad signature, a missing one, a stale timestamp and an oversized body, writing nothing', async () => {
    const h = await start();
    const tenant = await h.tenant();
    await buyPro(h, tenant);
    const before = await h.db.prisma.stripeEvent.count();
    const event = { ...h.emulator.events().at(-1), id: 'evt_forged_1' };
    const payload = JSON.stringify(event);

    const forged = h.stripe.webhooks.generateTestHeaderString({ payload, secret: 'whsec_wrong' });
    expect((await h.billing.handleWebhook(Buffer.from(payload), forged)).status).toBe(400);
    expect((await h.billing.handleWebhook(Buffer.from(payload), undefined)).status).toBe(400);
    const tampered = signed(h, payload);
    expect((await h.billing.handleWebhook(Buffer.from(payload.replace('"', ' "')), tampered)).status).toBe(
      400,
    );
    const stale = signed(h, payload, Math.floor(Date.now() / 1000) - 3600);
    expect((await h.billing.handleWebhook(Buffer.from(payload), stale)).status).toBe(400);
    const huge = Buffer.alloc(1024 * 1024 + 1, 32);
    expect((await h.billing.handleWebhook(huge, signed(h, huge.toString()))).status).toBe(413);
    expect(await h.db.prisma.stripeEvent.count()).toBe(before);

    // The same body properly signed and fresh is accepted (the refusals above were the signature's).
    expect((await h.billing.handleWebhook(Buffer.from(payload), signed(h, payload))).status).toBe(200);
    expect(await h.db.prisma.stripeEvent.count()).toBe(before + 1);
  });

  it('database down -> 503, Stripe retries, and once it is back the events apply once', async () => {
    const h = await start();
    const down = createPrisma('postgresql://postgres@127.0.0.1:1/none', { max: 1, connectTimeoutMs: 500 });
    const broken = createBilling({
      db: down,
      stripe: h.stripe,
      mode: 'emulator',
      webhookSecret: h.secret,
      clock: liveClock,
      logger: h.logger,
      hooks: h.hooks.hooks,
      webPublicUrl: WEB,
      testClocks: true,
    });
    const tenant = await h.tenant();
    const { url } = await h.billing.startPlanCheckout(scope(tenant), { tier: 'PRO', interval: 'month' });
    // Events of creating the customer and its clock went to the working endpoint.
    await h.emulator.webhooksIdle(15_000);
    const already = await h.db.prisma.stripeEvent.count();
    h.answers.length = 0;
    h.route((raw, sig) => broken.handleWebhook(raw, sig));
    expect((await payCheckout(url)).status).toBe(303);
    await waitFor(() => (h.answers.filter((a) => a.status === 503).length >= 8 ? true : undefined));
    expect(h.answers.filter((a) => a.status !== 503)).toEqual([]);
    expect(await h.db.prisma.stripeEvent.count()).toBe(already);
    expect(h.hooks.tiers).toEqual([]);

    h.route((raw, sig) => h.billing.handleWebhook(raw, sig));
    await h.emulator.webhooksIdle(15_000);
    expect(h.emulator.webhookStats().givenUp).toBe(0);
    expect(await h.db.prisma.stripeEvent.count()).toBe(h.emulator.events().length);
    expect(h.hooks.tiers).toEqual([{ tenantId: tenant, tier: 'PRO' }]);
    await down.$disconnect();
  });

  it('Stripe unreachable while re-reading the subscription -> 503', async () => {
    const h = await start();
    const tenant = await h.tenant();
    await buyPro(h, tenant);
    const Stripe = (await import('stripe')).default;
    const offline = new Stripe('sk_test_emulator', {
      host: '127.0.0.1',
      port: 1,
      protocol: 'http',
      maxNetworkRetries: 0,
    });
    const broken = createBilling({
      db: h.db.prisma,
      stripe: offline,
      mode: 'emulator',
      webhookSecret: h.secret,
      clock: liveClock,
      logger: h.logger,
      hooks: h.hooks.hooks,
      webPublicUrl: WEB,
    });
    const event = {
      ...h.emulator.events().find((e) => e.type === 'customer.subscription.created'),
      id: 'evt_new_1',
    };
    const payload = JSON.stringify(event);
    const answer = await broken.handleWebhook(Buffer.from(payload), signed(h, payload));
    expect(answer.status).toBe(503);
    expect(await h.db.prisma.stripeEvent.findUnique({ where: { id: 'evt_new_1' } })).toBeNull();
  });

  it('reconcile repairs a deleted local row and a missed event, logging the drift; one engine at a time', async () => {
    const h = await start();
    const tenant = await h.tenant();
    const sub = await buyPro(h, tenant);
    await h.db.prisma.billingSubscription.delete({ where: { stripeSubscriptionId: sub.id } });
    // Missed: the endpoint acknowledges without handling (as if the events were lost).
    h.route(async () => ({ status: 200, body: {} }));
    await h.stripe.subscriptions.update(sub.id, { cancel_at_period_end: true });
    await h.emulator.webhooksIdle(15_000);

    const result = await h.billing.reconcile();
    expect(result).toEqual({ checked: 1, repaired: 1 });
    const row = await h.db.prisma.billingSubscription.findUniqueOrThrow({
      where: { stripeSubscriptionId: sub.id },
    });
    expect(row).toMatchObject({ access: 'active', cancelAtPeriodEnd: true, updatedFrom: 'reconcile' });
    expect(h.logger.lines.some((l) => l.level === 'warn' && /drift repaired/.test(l.msg))).toBe(true);
    expect(await h.billing.reconcile()).toEqual({ checked: 1, repaired: 0 });

    // A local row Stripe does not have ends; a subscription canceled while unheard ends too (FREE).
    await h.stripe.subscriptions.cancel(sub.id);
    await h.db.prisma.billingSubscription.create({
      data: {
        ...row,
        stripeSubscriptionId: 'sub_gone',
        applicationFeePercent: null,
        createdAt: undefined,
        updatedAt: undefined,
      },
    });
    const second = await h.billing.reconcile();
    expect(second.repaired).toBe(2);
    const rows = await h.db.prisma.billingSubscription.findMany();
    // Sorted after naming (the real id is random, so ordering by id would order the names at random).
    expect(
      rows.map((r) => [r.stripeSubscriptionId === sub.id ? 'real' : r.stripeSubscriptionId, r.access]).sort(),
    ).toEqual([
      ['real', 'ended'],
      ['sub_gone', 'ended'],
    ]);
    expect(h.hooks.tiers.at(-1)).toEqual({ tenantId: tenant, tier: 'FREE' });

    // Another engine holds the lock: this one returns at once without touching anything.
    await withClient(h.db.url, async (other) => {
      await other.query(`SELECT pg_advisory_lock(hashtext('qt:billing:reconcile'))`);
      expect(await h.billing.reconcile()).toEqual({ checked: 0, repaired: 0 });
    });
    expect((await h.billing.reconcile()).checked).toBe(1);
  });
});
