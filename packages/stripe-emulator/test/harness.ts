import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { type StripeEmulator, type StripeEmulatorOptions, startStripeEmulator } from '../src/index.ts';

export interface Received {
  body: string;
  headers: IncomingHttpHeaders;
  status: number;
}

/** A webhook endpoint that records every delivery and answers `respond(n)` (n = 0-based request). */
export async function startReceiver(respond: (n: number, body: string) => number = () => 200) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const status = respond(received.length, body);
      received.push({ body, headers: req.headers, status });
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/stripe`;
  return {
    url,
    received,
    /** Event types of the 2xx deliveries, in arrival order. */
    acceptedTypes: () =>
      received.filter((r) => r.status < 300).map((r) => (JSON.parse(r.body) as { type: string }).type),
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export async function startWithSdk(
  options: StripeEmulatorOptions = {},
): Promise<{ emulator: StripeEmulator; stripe: Stripe }> {
  const emulator = await startStripeEmulator(options);
  // No SDK retries: a test must see the emulator's first answer.
  const stripe = new Stripe('sk_test_emulator', { ...emulator.sdkOptions, maxNetworkRetries: 0 });
  return { emulator, stripe };
}

/** Polls `check` until it returns a value (not undefined) or the deadline passes. */
export async function waitFor<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Submits the hosted checkout page's form as a browser would (no redirect following). */
export async function payCheckout(sessionUrl: string, cardNumber: string, email?: string): Promise<Response> {
  const form = new URLSearchParams({ cardNumber, cardExpiry: '12 / 34', cardCvc: '123' });
  if (email) form.set('email', email);
  return fetch(sessionUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
    redirect: 'manual',
  });
}

/** A recurring price on a new product. */
export async function makePrice(
  stripe: Stripe,
  unitAmount: number,
  interval: 'month' | 'year' = 'month',
  name = 'Pro',
): Promise<Stripe.Price> {
  const product = await stripe.products.create({ name });
  return stripe.prices.create({
    product: product.id,
    currency: 'usd',
    unit_amount: unitAmount,
    recurring: { interval },
  });
}

/** Advances a test clock and waits, as a Stripe client must, until it is ready again. */
export async function advanceClock(stripe: Stripe, clockId: string, frozenTime: number): Promise<void> {
  const answer = await stripe.testHelpers.testClocks.advance(clockId, { frozen_time: frozenTime });
  if (answer.status !== 'advancing') throw new Error(`expected advancing, got ${answer.status}`);
  await waitFor(async () => {
    const clock = await stripe.testHelpers.testClocks.retrieve(clockId);
    return clock.status === 'ready' ? true : undefined;
  });
}
