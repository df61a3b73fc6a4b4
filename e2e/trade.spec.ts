import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await launchBrowser();
  const port = await freePort();
  engine = await startTestEngine({
    webOrigins: [`http://127.0.0.1:${port}`, `http://localhost:${port}`],
    webPublicUrl: `http://127.0.0.1:${port}`,
    marketSource: 'simulator',
    // Enough prints that a marketable order fills within a second or two.
    simulatorTradesPerSecond: 200,
  });
  web = await startWebApp({ port, engineUrl: engine.engine.server.url, sessionSecret: engine.sessionSecret });
  page = await browser.newPage({ viewport: { width: 1440, height: 1000 } });
  await signUpInBrowser(page, web.url, engine.outboxDir, {
    name: 'Tomas Trader',
    email: `trade-${Date.now()}@example.test`,
    password: 'correct horse battery staple',
  });
});

afterAll(async () => {
  await page?.close();
  await browser?.close();
  await web?.stop();
  await engine?.stop();
});

const byTestId = (id: string) => page.getByTestId(id);
const attr = async (id: string, name: string) => (await byTestId(id).getAttribute(name)) ?? '';
/** Test arithmetic only: the screen itself never turns these strings into floats. */
const num = async (id: string, name: string) => Number(await attr(id, name));

/** The last trade price the ticket shows as its reference, once there is one. */
async function referencePrice(): Promise<number> {
  await expect.poll(() => attr('ticket-reference', 'data-price'), { timeout: 20_000 }).not.toBe('');
  return Number(await attr('ticket-reference', 'data-price'));
}

async function fillTicket(order: { side: 'buy' | 'sell'; price: string; quantity: string }) {
  await byTestId(`ticket-side-${order.side}`).click();
  await byTestId('ticket-type').selectOption('limit');
  await byTestId('ticket-price').fill(order.price);
  await byTestId('ticket-quantity').fill(order.quantity);
  await byTestId('ticket-tif').selectOption('GTC');
}

describe('the Trade screen on the simulator market', () => {
  it('guides a new tenant to create a paper account and fund it with 10,000 USDT', async () => {
    await byTestId('nav-trade').click();
    await page.waitForURL(/\/trade/);
    await byTestId('trade-onboarding').waitFor({ timeout: 15_000 });
    // One step: the account is created with its starting balance (10,000 USDT unless changed).
    await byTestId('account-name').fill('Spot paper');
    expect(await byTestId('account-initial-deposit').inputValue()).toBe('10000');
    await byTestId('account-create').click();
    await byTestId('account-picker').waitFor({ timeout: 15_000 });
    expect(page.url()).toMatch(/account=[0-9a-f-]{36}/);
    await byTestId('markets-venue').selectOption('binance');
    await byTestId('markets-symbol').selectOption('BTC-USDT');
    await expect.poll(() => num('balance-row-USDT', 'data-free'), { timeout: 10_000 }).toBe(10_000);
    expect(await num('balance-row-USDT', 'data-locked')).toBe(0);
    await expect.poll(() => attr('equity', 'data-equity'), { timeout: 10_000 }).not.toBe('');
    await page.screenshot({ path: join(shots, 'trade-funded.png') });
  });

  it('fills a limit buy placed just above the last price and shows the fill, balances and position', async () => {
    const last = await referencePrice();
    await fillTicket({ side: 'buy', price: (last * 1.003).toFixed(2), quantity: '0.01' });
    await byTestId('ticket-submit').click();

    await expect.poll(() => page.getByTestId('fill-row').count(), { timeout: 20_000 }).toBeGreaterThan(0);
    await expect.poll(() => num('balance-row-BTC', 'data-free'), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await num('balance-row-USDT', 'data-free')).toBeLessThan(10_000);
    await byTestId('position-row-BTC-USDT').waitFor({ timeout: 10_000 });
    expect(Number(await byTestId('position-row-BTC-USDT').getAttribute('data-quantity'))).toBeGreaterThan(0);
    expect(await byTestId('ticket-error').count()).toBe(0);
    await page.screenshot({ path: join(shots, 'trade-filled.png'), fullPage: true });
  });

  it('rests a limit buy far below the market, locks its quote, and releases it on cancel', async () => {
    const lockedBefore = await num('balance-row-USDT', 'data-locked');
    const last = await referencePrice();
    // 3% below: far from the simulated market, inside the free tier's ±5% price band.
    await fillTicket({ side: 'buy', price: (last * 0.97).toFixed(2), quantity: '0.01' });
    await byTestId('ticket-submit').click();

    const row = page.getByTestId('open-order-row').first();
    await row.waitFor({ timeout: 10_000 });
    expect(await row.getAttribute('data-status')).toBe('new');
    const orderId = (await row.getAttribute('data-order-id')) ?? '';
    await expect
      .poll(() => num('balance-row-USDT', 'data-locked'), { timeout: 10_000 })
      .toBeGreaterThan(lockedBefore);
    await page.screenshot({ path: join(shots, 'trade-resting-order.png') });

    await row.getByTestId('open-order-cancel').click();
    await expect
      .poll(() => page.locator(`[data-testid="open-order-row"][data-order-id="${orderId}"]`).count(), {
        timeout: 10_000,
      })
      .toBe(0);
    await expect.poll(() => num('balance-row-USDT', 'data-locked'), { timeout: 10_000 }).toBe(lockedBefore);
    await byTestId('orders-tab-closed').click();
    const closed = page.locator(`[data-testid="order-history-row"][data-order-id="${orderId}"]`);
    await closed.waitFor({ timeout: 10_000 });
    expect(await closed.getAttribute('data-status')).toBe('canceled');
    await page.screenshot({ path: join(shots, 'trade-canceled.png') });
    await byTestId('orders-tab-open').click();
  });

  it('shows the best bid and ask next to the ticket, live, and puts a side’s price in the ticket on click', async () => {
    await expect.poll(() => attr('best-bid', 'data-price'), { timeout: 20_000 }).not.toBe('');
    // Both sides read in one step in the page: read one after the other, a quote that moved up by more
    // than the spread in between would pair a new bid with an old ask.
    const first = (await page.evaluate(`(() => {
      const price = (id) => document.querySelector('[data-testid="' + id + '"]')?.getAttribute('data-price') ?? '';
      return { bid: price('best-bid'), ask: price('best-ask') };
    })()`)) as { bid: string; ask: string };
    // Test arithmetic only (the screen compares decimal strings exactly).
    expect(Number(first.bid)).toBeGreaterThan(0);
    expect(Number(first.bid)).toBeLessThan(Number(first.ask));
    // Live: the quote moves on the simulator's market without a reload.
    await expect
      .poll(async () => `${await attr('best-bid', 'data-price')}|${await attr('best-ask', 'data-price')}`, {
        timeout: 20_000,
      })
      .not.toBe(`${first.bid}|${first.ask}`);
    await byTestId('ticket-type').selectOption('limit');
    await byTestId('best-bid').click();
    const bid = await attr('best-bid', 'data-price');
    const field = await byTestId('ticket-price').inputValue();
    // The quote may have moved between the click and the read: the field holds a bid the screen showed.
    expect(Number(field)).toBeGreaterThan(0);
    expect(Math.abs(Number(field) - Number(bid)) / Number(bid)).toBeLessThan(0.01);
    await page.screenshot({ path: join(shots, 'trade-best-bid-ask.png') });
  });

  it('partially fills a resting order, then cancels the rest: fill kept, lock released', async () => {
    const lockedBefore = await num('balance-row-USDT', 'data-locked');
    const last = await referencePrice();
    // 3% below the market: the simulator's own prints do not reach it during the test.
    const price = (last * 0.97).toFixed(2);
    await fillTicket({ side: 'buy', price, quantity: '0.02' });
    await byTestId('ticket-submit').click();
    const row = page.getByTestId('open-order-row').first();
    await row.waitFor({ timeout: 10_000 });
    const orderId = (await row.getAttribute('data-order-id')) ?? '';
    const mine = page.locator(`[data-testid="open-order-row"][data-order-id="${orderId}"]`);
    expect(await mine.getAttribute('data-status')).toBe('new');

    // One market print below the order's price for half its quantity, handed to the engine's trade path
    // (what the bus consumer calls for every simulator trade). The queue model fills a resting buy from
    // a trade below its price with at most the trade's quantity: exactly half fills, deterministically.
    const now = Date.now();
    engine.engine.trading.service.onTrade({
      venue: 'binance',
      symbol: 'BTC-USDT',
      venueSymbol: 'BTCUSDT',
      tradeId: `e2e-partial-${now}`,
      price: (Number(price) - 1).toFixed(2),
      quantity: '0.01',
      takerSide: 'sell',
      exchangeTime: now,
      receiveTime: now,
    });
    await expect.poll(() => mine.getAttribute('data-status'), { timeout: 10_000 }).toBe('partially_filled');
    const filled = Number(await mine.getAttribute('data-filled'));
    expect(filled).toBeGreaterThan(0);
    expect(filled).toBeLessThan(Number(await mine.getAttribute('data-quantity')));
    expect(await mine.textContent()).toContain('partially filled');
    const fill = page.locator(`[data-testid="fill-row"][data-order-id="${orderId}"]`);
    await expect.poll(() => fill.count(), { timeout: 10_000 }).toBe(1);
    await page.screenshot({ path: join(shots, 'trade-partially-filled.png') });

    await mine.getByTestId('open-order-cancel').click();
    await expect.poll(() => mine.count(), { timeout: 10_000 }).toBe(0);
    await expect.poll(() => num('balance-row-USDT', 'data-locked'), { timeout: 10_000 }).toBe(lockedBefore);
    await byTestId('orders-tab-closed').click();
    const closed = page.locator(`[data-testid="order-history-row"][data-order-id="${orderId}"]`);
    await closed.waitFor({ timeout: 10_000 });
    expect(await closed.getAttribute('data-status')).toBe('canceled');
    expect(Number(await closed.getAttribute('data-filled'))).toBe(filled);
    // The fill stays in the fills table after the cancel.
    expect(await fill.count()).toBe(1);
    await page.screenshot({ path: join(shots, 'trade-partial-canceled.png') });
    await byTestId('orders-tab-open').click();
  });

  it('refuses a price off the tick grid before sending it', async () => {
    const last = await referencePrice();
    await fillTicket({ side: 'buy', price: `${Math.floor(last)}.005`, quantity: '0.01' });
    await byTestId('ticket-submit').click();
    expect(await attr('ticket-error', 'data-code')).toBe('ORDER_INVALID_TICK');
  });

  it('shows the risk engine refusing a fat-finger price, with its code, next to the ticket', async () => {
    const last = await referencePrice();
    await fillTicket({ side: 'buy', price: (last * 0.5).toFixed(2), quantity: '0.01' });
    await byTestId('ticket-submit').click();
    const error = byTestId('ticket-error');
    await expect.poll(() => error.getAttribute('data-code'), { timeout: 10_000 }).toBe('RISK_PRICE_BAND');
    expect(await error.textContent()).toMatch(/\w{10,}/);
    expect(await page.getByTestId('open-order-row').count()).toBe(0);
    await page.screenshot({ path: join(shots, 'trade-risk-rejected.png') });
  });
});
