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
const TITLE = 'SMA crossover, sealed';
const DAY = 86_400;
/** Attaches, then every charge fails: the renewal failure (the emulator's and Stripe's test card). */
const FAILS_ON_RENEWAL = 'pm_card_chargeCustomerFail';

let browser: Browser;
let engine: TestEngine;
let web: WebApp;
let stripe: Stripe;
/** Two people in two browser contexts (separate cookies): the seller and the buyer. */
let seller: Page;
let buyer: Page;
let listingId = '';

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await launchBrowser();
  const port = await freePort();
  engine = await startTestEngine({
    webOrigins: [`http://127.0.0.1:${port}`, `http://localhost:${port}`],
    webPublicUrl: `http://127.0.0.1:${port}`,
    marketSource: 'simulator',
    marketSymbols: ['BTC-USDT'],
    // Enough prints that every 1s candle has trades and a strategy's market orders fill at once.
    simulatorTradesPerSecond: 200,
    // The verification window is what is stored: a few dozen 1s candles in a test.
    marketplaceVerifyMinCandles: 5,
    marketplaceVerifyDays: 1,
  });
  if (!engine.stripeEmulator) throw new Error('the test engine runs the Stripe emulator');
  stripe = new Stripe('sk_test_e2e', engine.stripeEmulator.sdkOptions);
  web = await startWebApp({ port, engineUrl: engine.engine.server.url, sessionSecret: engine.sessionSecret });
  seller = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
  buyer = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
  await signUpInBrowser(seller, web.url, engine.outboxDir, {
    name: 'Sam Seller',
    email: `seller-${Date.now()}@example.test`,
    password: 'correct horse battery staple',
  });
  await signUpInBrowser(buyer, web.url, engine.outboxDir, {
    name: 'Bea Buyer',
    email: `buyer-${Date.now()}@example.test`,
    password: 'correct horse battery staple',
  });
}, 180_000);

afterAll(async () => {
  await seller?.close();
  await buyer?.close();
  await browser?.close();
  await web?.stop();
  await engine?.stop();
});

async function storedOneSecondCandles(): Promise<number> {
  const rows = await engine.engine.api.db.$queryRaw<{ n: bigint }[]>`
    SELECT count(*) AS n FROM market_klines
     WHERE venue = 'binance' AND symbol = 'BTC-USDT' AND "interval" = '1s' AND closed`;
  return Number(rows[0]?.n ?? 0);
}

/** Pays a Checkout Session on the emulator's hosted page the way a person does. */
async function payOnHostedPage(page: Page, card: string, email: string): Promise<void> {
  await page.waitForURL(/\/c\/pay\//, { timeout: 15_000 });
  await page.locator('#cardNumber').fill(card);
  if (await page.locator('#email').count()) await page.locator('#email').fill(email);
  await page.getByTestId('pay').click();
}

/** The buyer's listing subscription in Stripe and the test clock its customer lives on. */
async function buyerSubscription(): Promise<{ sub: Stripe.Subscription; clockId: string }> {
  const all = await stripe.subscriptions.list({ status: 'all', limit: 100 });
  const sub = all.data.find((s) => s.metadata?.qt_listing === listingId && s.status !== 'canceled');
  if (!sub) throw new Error(`no live subscription to listing ${listingId}`);
  const customerId = typeof sub.customer === 'string' ? sub.customer : sub.customer.id;
  const customer = await stripe.customers.retrieve(customerId);
  if (customer.deleted || !customer.test_clock) throw new Error('the buyer customer lives on a test clock');
  const clockId = typeof customer.test_clock === 'string' ? customer.test_clock : customer.test_clock.id;
  return { sub, clockId };
}

async function listingAccess(): Promise<string> {
  await buyer.goto(`${web.url}/marketplace/${listingId}`);
  await buyer.getByTestId('listing-buy').waitFor({ timeout: 15_000 });
  const box = buyer.getByTestId('listing-subscribed');
  return (await box.count()) ? ((await box.getAttribute('data-access')) ?? '') : 'none';
}

async function deploymentRow(): Promise<{ state: string; fills: number; reason: string }> {
  await buyer.goto(`${web.url}/strategies`);
  const row = buyer.getByTestId('deployment-row').first();
  await row.waitFor({ timeout: 15_000 });
  const reason = row.getByTestId('deployment-reason');
  return {
    state: (await row.getAttribute('data-state')) ?? '',
    fills: Number(await row.getAttribute('data-fills')),
    reason: (await reason.count()) ? ((await reason.textContent()) ?? '') : '',
  };
}

describe('marketplace: a seller publishes, the platform verifies, a buyer pays, deploys and trades', () => {
  it('the seller creates a strategy and sets up payouts through Connect onboarding', async () => {
    await seller.getByTestId('nav-strategies').click();
    await seller.waitForURL(/\/strategies/);
    await seller.getByTestId('strategies-onboarding').waitFor({ timeout: 15_000 });
    await seller.getByTestId('strategy-new-example').click();
    await seller.getByTestId('example-select').selectOption('sma-crossover');
    await seller.getByTestId('example-name').fill('SMA for sale');
    await seller.getByTestId('example-create').click();
    await seller
      .locator('[data-testid="strategy-row"][data-name="SMA for sale"]')
      .waitFor({ timeout: 15_000 });

    await seller.getByTestId('nav-marketplace').click();
    await seller.waitForURL(/\/marketplace$/);
    await seller.getByTestId('marketplace-sell-link').click();
    await seller.waitForURL(/\/marketplace\/sell/);
    await seller.getByTestId('seller-status').waitFor({ timeout: 15_000 });
    expect(await seller.getByTestId('seller-status').getAttribute('data-ready')).toBe('false');
    await seller.getByTestId('seller-onboard').click();
    await seller.waitForURL(/\/connect\/onboard\//, { timeout: 15_000 });
    await seller.getByTestId('complete').click();
    await seller.waitForURL(/\/marketplace\/sell/, { timeout: 15_000 });
    await expect
      .poll(() => seller.getByTestId('seller-status').getAttribute('data-ready'), { timeout: 20_000 })
      .toBe('true');
  }, 60_000);

  it('publishes a paid listing and sees the verified backtest, computed by the platform', async () => {
    await expect.poll(storedOneSecondCandles, { timeout: 90_000, interval: 1_000 }).toBeGreaterThanOrEqual(8);
    const form = seller.getByTestId('publish-form');
    await form.waitFor();
    await seller.getByTestId('publish-title').fill(TITLE);
    await seller.getByTestId('publish-summary').fill('Fast/slow moving average crossover, long only');
    await seller
      .getByTestId('publish-description')
      .fill('# How it trades\n\nBuys **crosses up**, sells crosses down.');
    await seller.getByTestId('publish-tags').fill('trend, btc');
    await seller.getByTestId('publish-interval-1m').uncheck();
    await seller.getByTestId('publish-interval-1s').check();
    // Fast periods so a few dozen one-second candles trade; `fast` is the one a buyer may tune.
    const removeFixed = seller.locator('[data-testid="fixed-row"] button[aria-label^="Remove"]');
    while ((await removeFixed.count()) > 0) await removeFixed.first().click();
    for (const [name, value] of [
      ['slow', '3'],
      ['quantity', '0.001'],
    ]) {
      await seller.getByTestId('fixed-add').click();
      await seller
        .getByTestId('fixed-name')
        .last()
        .fill(name as string);
      await seller
        .getByTestId('fixed-value')
        .last()
        .fill(value as string);
    }
    await seller.getByTestId('tunable-add').click();
    await seller.getByTestId('tunable-name').last().fill('fast');
    await seller.getByTestId('tunable-min').last().fill('2');
    await seller.getByTestId('tunable-max').last().fill('5');
    await seller.getByTestId('tunable-default').last().fill('2');
    await seller.getByTestId('publish-price-month').check();
    await seller.getByTestId('publish-amount').fill('15');
    await seller.getByTestId('publish-trial').fill('0');
    await seller.getByTestId('publish-submit').click();

    const done = seller.getByTestId('publish-done');
    await done.waitFor({ timeout: 15_000 });
    listingId = (await done.getAttribute('data-listing-id')) ?? '';
    expect(listingId).toMatch(/^[0-9a-f-]{36}$/);
    await expect
      .poll(
        () =>
          seller
            .locator(`[data-testid="my-listing"][data-listing-id="${listingId}"]`)
            .getAttribute('data-status'),
        {
          timeout: 90_000,
        },
      )
      .toBe('published');

    await done.getByRole('link', { name: 'Open the listing' }).click();
    await seller.waitForURL(new RegExp(`/marketplace/${listingId}`));
    await expect
      .poll(() => seller.getByTestId('verified-status').getAttribute('data-status'), { timeout: 30_000 })
      .toBe('completed');
    expect(await seller.getByTestId('verified-label').textContent()).toBe('Computed by the platform');
    expect(await seller.getByTestId('verified-sha256').textContent()).toMatch(/^[0-9a-f]{64}$/);
    await seller.getByTestId('verified-metrics').waitFor();
    // What the window means, and the market the figures hold for (the listing's first, at 1s).
    expect(await seller.getByTestId('verified-window-label').textContent()).toMatch(/^out of sample: /);
    expect(await seller.getByTestId('verified-metrics-market').textContent()).toMatch(/ · 1s\b/);
    expect(Number(await seller.getByTestId('verified-chart').getAttribute('data-points'))).toBeGreaterThan(0);
    expect(await seller.getByTestId('listing-price').textContent()).toBe('$15.00 / month');
    expect(await seller.getByTestId('listing-own').isVisible()).toBe(true);
    // The seller's Markdown, rendered (sanitized) by the server.
    expect(await seller.getByTestId('listing-description').locator('strong').textContent()).toBe(
      'crosses up',
    );
    await seller.screenshot({ path: join(shots, 'marketplace-listing.png'), fullPage: true });
  }, 180_000);

  it('a second tenant finds it, pays with the test card and is entitled once the webhook lands', async () => {
    // A funded paper account to run it in.
    await buyer.getByTestId('nav-trade').click();
    await buyer.waitForURL(/\/trade/);
    await buyer.getByTestId('trade-onboarding').waitFor({ timeout: 15_000 });
    await buyer.getByTestId('account-name').fill('Marketplace paper');
    // Funded below with the deposit form: no starting balance here.
    await buyer.getByTestId('account-initial-deposit').fill('');
    await buyer.getByTestId('account-create').click();
    await buyer.getByTestId('account-picker').waitFor({ timeout: 15_000 });
    await buyer.getByTestId('deposit-open').click();
    await buyer.getByTestId('deposit-asset').fill('USDT');
    await buyer.getByTestId('deposit-amount').fill('100000');
    await buyer.getByTestId('deposit-submit').click();
    await buyer.getByTestId('balance-row-USDT').waitFor({ timeout: 10_000 });

    await buyer.getByTestId('nav-marketplace').click();
    await buyer.waitForURL(/\/marketplace$/);
    await buyer.getByTestId('marketplace-q').fill('crossover sealed');
    await buyer.getByTestId('marketplace-search').click();
    const card = buyer.locator(`[data-testid="listing-card"][data-listing-id="${listingId}"]`);
    await card.waitFor({ timeout: 15_000 });
    expect(await card.textContent()).toContain('Verified backtest');
    expect(await card.getByTestId('listing-card-price').textContent()).toBe('$15.00 / month');
    expect(await card.getByTestId('listing-card-stats-market').textContent()).toMatch(/^on \w+:\S+ · 1s$/);
    // Filters narrow on the server: a free-only search does not show a paid listing.
    await buyer.getByTestId('filter-free').check();
    await buyer.getByTestId('marketplace-empty').waitFor({ timeout: 15_000 });
    await buyer.getByTestId('filter-free').uncheck();
    await card.waitFor({ timeout: 15_000 });

    await card.getByTestId('listing-card-link').click();
    await buyer.waitForURL(new RegExp(`/marketplace/${listingId}$`));
    expect(await buyer.getByTestId('listing-deploy').count()).toBe(0);
    await buyer.getByTestId('listing-subscribe').click();
    await payOnHostedPage(buyer, '4242 4242 4242 4242', 'bea@example.test');
    await buyer.waitForURL(new RegExp(`/marketplace/${listingId}\\?checkout=`), { timeout: 15_000 });
    await expect
      .poll(() => buyer.getByTestId('checkout-banner').getAttribute('data-state'), { timeout: 30_000 })
      .toBe('confirmed');
    await buyer.getByTestId('listing-deploy').waitFor();
    expect(await buyer.getByTestId('listing-subscribed').getAttribute('data-access')).toBe('active');
  }, 90_000);

  it('deploys it to paper with a tuned parameter and sees it trade under Strategies', async () => {
    await buyer.getByTestId('listing-param-fast').fill('9');
    await buyer.getByTestId('listing-deploy-submit').click();
    // Out of the seller's bounds: refused in the form, nothing sent.
    expect(await buyer.getByTestId('listing-deploy').textContent()).toContain('Between 2 and 5.');
    await buyer.getByTestId('listing-param-fast').fill('2');
    await buyer.getByTestId('listing-deploy-submit').click();
    await buyer.getByTestId('listing-deployed').waitFor({ timeout: 15_000 });
    await buyer.getByTestId('listing-deployed-link').click();
    await buyer.waitForURL(/\/strategies/);
    const row = buyer.getByTestId('deployment-row').first();
    await row.waitFor({ timeout: 15_000 });
    // The listing's title, never the seller's strategy name.
    expect(await row.textContent()).toContain(TITLE);
    expect(await row.textContent()).not.toContain('SMA for sale');
    await expect
      .poll(async () => (await deploymentRow()).fills, { timeout: 60_000, interval: 2_000 })
      .toBeGreaterThanOrEqual(1);
    await buyer.screenshot({ path: join(shots, 'marketplace-buyer-deployment.png'), fullPage: true });

    // The seller sees the sale.
    await seller.goto(`${web.url}/marketplace/sell`);
    await expect
      .poll(() => seller.getByTestId('seller-subscribers').textContent(), { timeout: 15_000 })
      .toContain('1');
    expect(await seller.getByTestId('seller-gross').textContent()).toContain('$15.00');
  }, 120_000);

  it('advances the buyer test clock: renewal paid, then a failing card -> past due -> paused', async () => {
    const first = await buyerSubscription();
    const firstEnd = periodEnd(first.sub);
    await advanceClock(stripe, first.clockId, firstEnd + 3_600);
    await expect
      .poll(async () => periodEnd((await buyerSubscription()).sub), { timeout: 15_000 })
      .toBeGreaterThan(firstEnd);
    const renewed = await buyerSubscription();
    expect(renewed.sub.status).toBe('active');
    expect(await listingAccess()).toBe('active');
    expect((await deploymentRow()).state).toBe('running');

    const customerId =
      typeof renewed.sub.customer === 'string' ? renewed.sub.customer : renewed.sub.customer.id;
    const pm = await stripe.paymentMethods.attach(FAILS_ON_RENEWAL, { customer: customerId });
    await stripe.subscriptions.update(renewed.sub.id, { default_payment_method: pm.id });
    const secondEnd = periodEnd(renewed.sub);
    await advanceClock(stripe, renewed.clockId, secondEnd + 3_600);
    await expect.poll(listingAccess, { timeout: 20_000, interval: 1_000 }).toBe('grace');
    expect(await buyer.getByTestId('listing-access').textContent()).toBe('Payment failed, retrying');
    // Stripe's retries are the grace period: the deployment keeps running.
    expect((await deploymentRow()).state).toBe('running');

    await advanceClock(stripe, renewed.clockId, secondEnd + 16 * DAY);
    await expect
      .poll(async () => (await deploymentRow()).state, { timeout: 20_000, interval: 1_000 })
      .toBe('paused');
    expect((await deploymentRow()).reason).toContain('SUBSCRIPTION_ENDED');
    expect(await listingAccess()).not.toBe('active');
    await buyer.screenshot({ path: join(shots, 'marketplace-paused.png'), fullPage: true });
  }, 120_000);

  it('subscribes again and cancels at period end: access until the date shown', async () => {
    await buyer.goto(`${web.url}/marketplace/${listingId}`);
    await buyer.getByTestId('listing-subscribe').click();
    await payOnHostedPage(buyer, '4242 4242 4242 4242', 'bea@example.test');
    await expect
      .poll(() => buyer.getByTestId('checkout-banner').getAttribute('data-state'), { timeout: 30_000 })
      .toBe('confirmed');
    await buyer.getByTestId('listing-cancel').click();
    await buyer.getByTestId('listing-cancel-confirm').click();
    const notice = buyer.getByTestId('listing-cancel-notice');
    await notice.waitFor({ timeout: 15_000 });
    const { sub } = await buyerSubscription();
    expect(sub.cancel_at_period_end).toBe(true);
    const until = new Date(periodEnd(sub) * 1000).toLocaleDateString('en-US', {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
    });
    expect(await notice.textContent()).toContain(until);
    // Still entitled until then, and the listing's own view says so once Stripe's webhook has landed.
    expect(await buyer.getByTestId('listing-deploy').isVisible()).toBe(true);
    await expect
      .poll(
        async () => {
          await buyer.reload();
          await buyer.getByTestId('listing-buy').waitFor({ timeout: 10_000 });
          return buyer.getByTestId('listing-cancel-notice').count();
        },
        { timeout: 15_000, interval: 1_000 },
      )
      .toBe(1);
    expect(await buyer.getByTestId('listing-cancel-notice').textContent()).toContain(until);
  }, 60_000);
});
