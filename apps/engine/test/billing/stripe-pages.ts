import type Stripe from 'stripe';
import { expect } from 'vitest';

/**
 * What a person does on the emulator's hosted pages, through plain HTTP as a browser would: load the
 * page, then post its form.
 */

/** The first form's action on a page, resolved against the page's URL. */
function formAction(html: string, pageUrl: string, marker?: string): string {
  const forms = [...html.matchAll(/<form[^>]*action="([^"]+)"[^>]*>([\s\S]*?)<\/form>/g)];
  const form = marker ? forms.find((f) => f[2]?.includes(marker)) : forms[0];
  if (!form?.[1]) throw new Error(`no form${marker ? ` with ${marker}` : ''} on ${pageUrl}`);
  return new URL(form[1].replaceAll('&amp;', '&'), pageUrl).toString();
}

/** Opens a Checkout Session's hosted page and pays with `card`; answers where it redirected. */
export async function payCheckout(url: string, card: string, email = 'payer@example.test'): Promise<string> {
  const page = await fetch(url);
  expect(page.status).toBe(200);
  const html = await page.text();
  const form = new URLSearchParams({ cardNumber: card, cardExpiry: '12 / 34', cardCvc: '123' });
  if (html.includes('name="email"')) form.set('email', email);
  const paid = await fetch(formAction(html, url), { method: 'POST', body: form, redirect: 'manual' });
  if (paid.status !== 303) throw new Error(`checkout answered ${paid.status}: ${await paid.text()}`);
  return paid.headers.get('location') ?? '';
}

/** Follows a Connect onboarding link and presses "Agree and submit". */
export async function completeOnboarding(url: string): Promise<void> {
  const page = await fetch(url);
  expect(page.status).toBe(200);
  const html = await page.text();
  const done = await fetch(formAction(html, url, 'value="complete"'), {
    method: 'POST',
    body: new URLSearchParams({ action: 'complete' }),
    redirect: 'manual',
  });
  expect([200, 302, 303]).toContain(done.status);
}

/** Moves a test clock to `frozenTime` (seconds) and waits until Stripe finished acting on it. */
export async function advanceClock(stripe: Stripe, clockId: string, frozenTime: number): Promise<void> {
  await stripe.testHelpers.testClocks.advance(clockId, { frozen_time: frozenTime });
  const deadline = Date.now() + 30_000;
  for (;;) {
    const clock = await stripe.testHelpers.testClocks.retrieve(clockId);
    if (clock.status === 'ready') return;
    if (clock.status === 'internal_failure') throw new Error(`test clock ${clockId} failed`);
    if (Date.now() > deadline) throw new Error(`test clock ${clockId} still ${clock.status}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A subscription's current period end (seconds): on its item in current API versions. */
export function periodEnd(sub: Stripe.Subscription): number {
  const fromItem = sub.items.data[0]?.current_period_end;
  const legacy = (sub as unknown as { current_period_end?: number }).current_period_end;
  const end = fromItem ?? legacy;
  if (typeof end !== 'number') throw new Error(`subscription ${sub.id} has no period end`);
  return end;
}

export async function waitUntil<T>(
  read: () => Promise<T>,
  ok: (value: T) => boolean,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await read();
    if (ok(last)) return last;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; last: ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
