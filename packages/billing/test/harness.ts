import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Db } from '@qt/db';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { liveClock, type Tier } from '@qt/shared';
import { type StripeEmulatorOptions, startStripeEmulator } from '@qt/stripe-emulator';
import Stripe from 'stripe';
import type { BillingHooks } from '../src/billing-hooks.ts';
import { type BillingService, createBilling } from '../src/create-billing.ts';
import type { WebhookAnswer } from '../src/webhooks.ts';

export const WEB = 'http://dashboard.test';

/** A logger that keeps what it was told (tests read the drift warnings). */
export function memoryLogger() {
  const lines: { level: string; obj: object; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg: string) => {
    if (lines.length < 5_000) lines.push({ level, obj, msg });
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/**
 * The engine's side of the hooks, as the engine wires them: the tier is written to the tenant row (the
 * engine's setTenantTier also publishes it). Every call is recorded so tests can count them.
 */
export function recordingHooks(db: () => Db) {
  const tiers: { tenantId: string; tier: Tier }[] = [];
  const listings: { tenantId: string; listingId: string; access: 'active' | 'ended' }[] = [];
  const hooks: BillingHooks = {
    async applyTier(tenantId, tier) {
      tiers.push({ tenantId, tier });
      await db().tenant.update({ where: { id: tenantId }, data: { tier } });
    },
    async listingAccessChanged(change) {
      listings.push(change);
    },
  };
  return { hooks, tiers, listings };
}

export interface Harness {
  db: TestDatabase;
  stripe: Stripe;
  emulator: Awaited<ReturnType<typeof startStripeEmulator>>;
  billing: BillingService;
  logger: ReturnType<typeof memoryLogger>;
  hooks: ReturnType<typeof recordingHooks>;
  secret: string;
  /** Answers of the webhook endpoint, in arrival order. */
  answers: WebhookAnswer[];
  /** Replaces who handles deliveries (default: `billing`). */
  route(handler: (raw: Buffer, sig: string | undefined) => Promise<WebhookAnswer>): void;
  tenant(name?: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * A migrated database, the Stripe emulator in-process and a tiny HTTP server as the webhook endpoint
 * calling billing.handleWebhook: real HTTP, real signatures, Stripe's retries.
 */
export async function startHarness(webhooks: StripeEmulatorOptions['webhooks'] = {}): Promise<Harness> {
  const db = await createTestDatabase();
  const secret = 'whsec_billing_test';
  const answers: WebhookAnswer[] = [];
  let handler: ((raw: Buffer, sig: string | undefined) => Promise<WebhookAnswer>) | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 2 * 1024 * 1024) chunks.push(c);
    });
    req.on('end', async () => {
      const sig = req.headers['stripe-signature'];
      const answer = handler
        ? await handler(Buffer.concat(chunks), Array.isArray(sig) ? sig[0] : sig)
        : { status: 503, body: { error: 'not ready' } };
      if (answers.length < 10_000) answers.push(answer);
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe`;
  const emulator = await startStripeEmulator({
    webhooks: { url, secret, retryDelaysMs: [50, 100, 200, 400, 800], ...webhooks },
  });
  const stripe = new Stripe('sk_test_emulator', { ...emulator.sdkOptions, maxNetworkRetries: 0 });
  const logger = memoryLogger();
  const hooks = recordingHooks(() => db.prisma);
  const billing = createBilling({
    db: db.prisma,
    stripe,
    mode: 'emulator',
    webhookSecret: secret,
    databaseUrl: db.url,
    clock: liveClock,
    logger,
    hooks: hooks.hooks,
    webPublicUrl: WEB,
    testClocks: true,
  });
  handler = (raw, sig) => billing.handleWebhook(raw, sig);
  let n = 0;
  return {
    db,
    stripe,
    emulator,
    billing,
    logger,
    hooks,
    secret,
    answers,
    route: (h) => {
      handler = h;
    },
    tenant: async (name) => (await db.prisma.tenant.create({ data: { name: name ?? `tenant ${++n}` } })).id,
    async stop() {
      await billing.close();
      await emulator.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await db.drop();
    },
  };
}

/** Submits the hosted checkout page's form as a browser does (no redirect following). */
export async function payCheckout(sessionUrl: string, cardNumber = '4242424242424242'): Promise<Response> {
  const form = new URLSearchParams({ cardNumber, cardExpiry: '12 / 34', cardCvc: '123' });
  return fetch(sessionUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
}

export async function waitFor<T>(
  check: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Advances a customer's test clock and waits until it is ready and every webhook is handled. */
export async function advanceCustomerClock(h: Harness, customerId: string, toUnix: number): Promise<void> {
  const customer = (await h.stripe.customers.retrieve(customerId)) as Stripe.Customer;
  const clockId = typeof customer.test_clock === 'string' ? customer.test_clock : customer.test_clock?.id;
  if (!clockId) throw new Error('customer has no test clock');
  await h.stripe.testHelpers.testClocks.advance(clockId, { frozen_time: toUnix });
  await waitFor(async () =>
    (await h.stripe.testHelpers.testClocks.retrieve(clockId)).status === 'ready' ? true : undefined,
  );
  await h.emulator.webhooksIdle(15_000);
}

export const scope = (tenantId: string, tier: Tier = 'FREE') => ({
  tenantId,
  actor: 'user:test',
  tier,
  tenantName: 'Acme',
  userId: null,
});
