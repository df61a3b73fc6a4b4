import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { advanceClock, periodEnd } from '../apps/engine/test/billing/stripe-pages.ts';
import { startTestEngine, type TestEngine } from '../apps/engine/test/support/test-engine.ts';
import { launchBrowser } from './support/browser.ts';
import { freePort } from './support/free-port.ts';
import { signUpInBrowser } from './support/sign-up.ts';
import { startWebApp, type WebApp } from './support/web-app.ts';

const shots = join(resolve(import.meta.dirname, '..'), 'test-results');

let browser: Browser;
let engine: TestEngine;
let web: WebApp;
let page: Page;
let stripe: Stripe;

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await launchBrowser();
  const port = await freePort();
  engine = await startTestEngine({
    webOrigins: [`http://127.0.0.1:${port}`, `http://localhost:${port}`],
    webPublicUrl: `http://127.0.0.1:${port}`,
  });
  if (!engine.stripeEmulator) throw new Error('the test engine runs the Stripe emulator');
  // The official SDK, pointed at the emulator the engine uses: only for what a person cannot click
  // (moving the customer's test clock).
  stripe = new Stripe('sk_test_e2e', engine.stripeEmulator.sdkOptions);
  web = await startWebApp({ port, engineUrl: engine.engine.server.url, sessionSecret: engine.sessionSecret });
  page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await signUpInBrowser(page, web.url, engine.outboxDir, {
    name: 'Paula Payer',
    email: `billing-${Date.now()}@example.test`,
    password: 'correct horse battery staple',
  });
}, 120_000);

afterAll(async () => {
  await page?.close();
  await browser?.close();
  await web?.stop();
  await engine?.stop();
});

const byTestId = (id: string) => page.getByTestId(id);
const attr = async (id: string, name: string) => (await byTestId(id).first().getAttribute(name)) ?? '';

/** The customer's test clock (one customer in this engine's fresh database: the person signed up above). */
async function customerClock(): Promise<{ clockId: string; sub: Stripe.Subscription }> {
  const row = await engine.engine.api.db.billingCustomer.findFirstOrThrow();
  const customer = await stripe.customers.retrieve(row.stripeCustomerId);
  if (customer.deleted || !customer.test_clock) throw new Error('the customer lives on a test clock');
  const clockId = typeof customer.test_clock === 'string' ? customer.test_clock : customer.test_clock.id;
  const sub = (await stripe.subscriptions.list({ customer: customer.id, status: 'all' })).data[0];
  if (!sub) throw new Error('the customer has a subscription');
  return { clockId, sub };
}

describe('billing: upgrade to Pro through Stripe Checkout (the emulator offline)', () => {
  it('goes from the Plans page to the upgrade card on /billing, on Free', async () => {
    await page.goto(`${web.url}/pricing`);
    await byTestId('pricing-upgrade-pro').click();
    await page.waitForURL(/\/billing\?upgrade=PRO/);
    await byTestId('billing-upgrade').waitFor({ timeout: 15_000 });
    expect(await attr('billing-tier', 'data-tier')).toBe('FREE');
    await byTestId('billing-free').waitFor();
    await expect.poll(() => byTestId('upgrade-pro-price').textContent()).toContain('$49.00');
    await byTestId('billing-interval-year').click();
    await expect.poll(() => byTestId('upgrade-pro-price').textContent()).toContain('$490.00');
    await byTestId('billing-interval-month').click();
    expect(await byTestId('invoices-empty').isVisible()).toBe(true);
  });

  it('pays with 4242 on the hosted page, waits for the webhook, then shows Pro', async () => {
    await byTestId('upgrade-pro-button').click();
    await page.waitForURL(/\/c\/pay\//, { timeout: 15_000 });
    expect(await page.getByTestId('amount').textContent()).toContain('49.00');
    await page.locator('#cardNumber').fill('4242 4242 4242 4242');
    if (await page.locator('#email').count()) await page.locator('#email').fill('paula@example.test');
    await page.getByTestId('pay').click();
    await page.waitForURL(/\/billing\?checkout=/, { timeout: 15_000 });
    // The browser's return grants nothing; the page polls until the webhook has.
    await expect.poll(() => attr('checkout-banner', 'data-state'), { timeout: 30_000 }).toBe('confirmed');
    expect(await attr('billing-tier', 'data-tier')).toBe('PRO');
    expect(await attr('billing-access', 'data-access')).toBe('active');
    expect(await byTestId('billing-plan').textContent()).toContain('$49.00 / month');
    await expect.poll(() => byTestId('invoice-row').count(), { timeout: 10_000 }).toBe(1);
    expect(await byTestId('invoice-row').first().getAttribute('data-status')).toBe('paid');
    expect(await byTestId('invoices-table').textContent()).toContain('$49.00');
    // The whole workspace is on Pro, not only this page.
    expect((await engine.engine.api.db.tenant.findFirstOrThrow({ where: { tier: 'PRO' } })).tier).toBe('PRO');
    // A reload does not wait again (the ?checkout= parameter was dropped).
    expect(page.url()).not.toContain('checkout=');
    await page.screenshot({ path: join(shots, 'billing-pro.png'), fullPage: true });
  }, 60_000);

  it('cancels at period end in the portal: the plan runs to the date shown, then the workspace is Free', async () => {
    await byTestId('billing-portal').click();
    await page.waitForURL(/\/p\/session\//, { timeout: 15_000 });
    await page.getByRole('button', { name: 'Cancel plan' }).click();
    await page.getByText(/Cancels on/).waitFor({ timeout: 10_000 });
    await page.getByRole('link', { name: 'Return' }).click();
    await page.waitForURL(/\/billing/);
    await byTestId('billing-cancel-notice').waitFor({ timeout: 15_000 });
    const { clockId, sub } = await customerClock();
    const end = new Date(periodEnd(sub) * 1000).toLocaleDateString('en-US', {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
    });
    expect(await byTestId('billing-cancel-notice').textContent()).toContain(end);
    expect(await attr('billing-tier', 'data-tier')).toBe('PRO');

    await advanceClock(stripe, clockId, periodEnd(sub) + 3_600);
    await expect
      .poll(
        async () => {
          await page.reload();
          await byTestId('billing-tier').waitFor({ timeout: 10_000 });
          return attr('billing-tier', 'data-tier');
        },
        { timeout: 30_000, interval: 1_000 },
      )
      .toBe('FREE');
    // Ended: no "stays in effect" notice any more, and upgrading through Checkout is open again.
    expect(await byTestId('billing-cancel-notice').count()).toBe(0);
    expect(await byTestId('upgrade-pro-button').isEnabled()).toBe(true);
  }, 90_000);

  it('fits a phone screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${web.url}/billing`);
    await byTestId('billing-tier').waitFor({ timeout: 15_000 });
    // Nothing wider than the screen (a table scrolls inside its own box, and so do the screen-reader
    // labels in it): name the offenders if something is.
    const wide = await page.evaluate(`[...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
      .filter((e) => !e.closest('.overflow-x-auto') || e.matches('.overflow-x-auto'))
      .slice(0, 8)
      .map((e) => e.tagName + '.' + String(e.className).slice(0, 60) + ' ' + Math.round(e.getBoundingClientRect().right))`);
    expect(wide).toEqual([]);
    expect(
      Number(
        await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth'),
      ),
    ).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(shots, 'billing-phone.png'), fullPage: true });
  });
});
