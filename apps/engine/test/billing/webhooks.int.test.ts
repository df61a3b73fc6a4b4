import { connect, type Socket } from 'node:net';
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
    expect(await metric('bad_signature')).toBeGreaterThanOrEqual(4);
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
    const duplicatesBefore = await metric('duplicate');
    for (let i = 0; i < 2; i++) {
      const res = await post(payload, signPayload(payload, secret, now()));
      expect(res.status).toBe(200);
    }
    // Counted as what the handler did: duplicates, not applied.
    expect(await metric('duplicate')).toBe(duplicatesBefore + 2);
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

  it('answers 413 at once to a declared length over 1 MiB and closes the connection unread', async () => {
    const tooLarge = await metric('too_large');
    const s = await rawRequest(hook, { 'content-length': String((1 << 20) + 1) });
    // Nothing of the body was sent: the answer does not wait for it.
    expect(await s.status()).toBe(413);
    await s.closed;
    expect(await metric('too_large')).toBe(tooLarge + 1);
  });

  it('stops reading a chunked body the moment it passes 1 MiB: 413 and the connection closed', async () => {
    const s = await rawRequest(hook, { 'transfer-encoding': 'chunked' });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    // Keeps sending while the socket is open: the server must answer and close, not read on.
    while (!s.isClosed() && sent < 8 * (1 << 20)) {
      if (
        !s.socket.write(`${chunk.length.toString(16)}\r\n`) ||
        !s.socket.write(chunk) ||
        !s.socket.write('\r\n')
      )
        await new Promise((r) => setTimeout(r, 5));
      sent += chunk.length;
    }
    expect(await s.status()).toBe(413);
    await s.closed;
    expect(sent).toBeLessThan(8 * (1 << 20));
  });

  it('takes its bytes from the shared body budget (503 when it is spent) and times a slow body out (408)', async () => {
    // 64 deliveries announcing 1 MiB each hold the engine's 64 MiB body budget while they trickle.
    const holders = await Promise.all(
      Array.from({ length: 64 }, () => rawRequest(hook, { 'content-length': String(1 << 20) })),
    );
    for (const h of holders) h.socket.write('{');
    await new Promise((r) => setTimeout(r, 200));
    const busy = await rawRequest(hook, { 'content-length': '100' });
    expect(await busy.status()).toBe(503);
    // No more of their bodies comes: each is answered 408 after the 10 s read timeout, and the budget
    // is back for the next delivery.
    const started = Date.now();
    const statuses = await Promise.all(holders.map((h) => h.status()));
    expect(new Set(statuses)).toEqual(new Set([408]));
    expect(Date.now() - started).toBeGreaterThan(8_000);
    const event = JSON.stringify({ ...t.stripeEmulator?.events().at(-1), id: 'evt_after_budget' });
    expect((await post(event, `t=${now()},v1=${'0'.repeat(64)}`)).status).toBe(400);
  }, 30_000);

  it('answers 503 while the database is down; the retry applies the change once it is back', async () => {
    const row = await t.engine.api.db.billingSubscription.findFirstOrThrow({
      where: { tenantId, kind: 'plan' },
    });
    expect(row.cancelAtPeriodEnd).toBe(false);
    const emulator = t.stripeEmulator;
    if (!emulator) throw new Error('emulator');
    const failedBefore = emulator.webhookStats().failedAttempts;
    const retriesBefore = await metric('unavailable');
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
      expect(await metric('unavailable')).toBeGreaterThan(retriesBefore);
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

/**
 * A POST to `url` over a raw socket with `headers` and no body yet: the test writes the body (or not)
 * and reads the status line the server answers.
 */
async function rawRequest(
  url: string,
  headers: Record<string, string>,
): Promise<{ socket: Socket; status(): Promise<number>; closed: Promise<void>; isClosed(): boolean }> {
  const u = new URL(url);
  const socket = connect(Number(u.port), u.hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  let closed = false;
  socket.on('data', (d: Buffer) => {
    received += d.toString('latin1');
  });
  socket.on('error', () => undefined);
  const closedP = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  void closedP.then(() => {
    closed = true;
  });
  const head = Object.entries({ host: u.host, 'content-type': 'application/json', ...headers })
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.write(`POST ${u.pathname} HTTP/1.1\r\n${head}\r\n`);
  return {
    socket,
    closed: closedP,
    isClosed: () => closed,
    async status() {
      for (;;) {
        const m = /^HTTP\/1\.1 (\d{3})/.exec(received);
        if (m) return Number(m[1]);
        if (closed) throw new Error(`closed without an answer: ${received}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
  };
}
