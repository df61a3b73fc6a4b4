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
/** Uncaught errors in the page: the cockpit must not throw any. */
const pageErrors: string[] = [];

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await launchBrowser();
  const port = await freePort();
  engine = await startTestEngine({
    webOrigins: [`http://127.0.0.1:${port}`, `http://localhost:${port}`],
    webPublicUrl: `http://127.0.0.1:${port}`,
    marketSource: 'simulator',
    // No fills needed here: a calm market keeps the page light on a busy machine.
    simulatorTradesPerSecond: 25,
  });
  web = await startWebApp({ port, engineUrl: engine.engine.server.url, sessionSecret: engine.sessionSecret });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  // The machine runs several suites at once: actions wait longer than Playwright's 30 s default.
  page.setDefaultTimeout(90_000);
  page.on('console', (m) => {
    // Script errors (React logs the ones its error boundary caught here); a refused request is not one.
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource'))
      pageErrors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (err) => pageErrors.push(`${err.message}\n${err.stack ?? ''}`));
  await signUpInBrowser(page, web.url, engine.outboxDir, {
    name: 'Cora Cockpit',
    email: `cockpit-${Date.now()}@example.test`,
    password: 'correct horse battery staple',
  });
});

afterAll(async () => {
  if (pageErrors.length > 0) console.error(`uncaught page errors:\n${pageErrors.join('\n---\n')}`);
  await page?.close();
  await browser?.close();
  await web?.stop();
  await engine?.stop();
});

const byTestId = (id: string) => page.getByTestId(id);
const attr = async (id: string, name: string) => (await byTestId(id).getAttribute(name)) ?? '';

interface DrawnLine {
  id: string;
  orderId: string | null;
  kind: string;
  price: string;
  x: number;
  y: number;
}

async function drawnLines(): Promise<DrawnLine[]> {
  const text = await attr('chart-canvas', 'data-order-lines');
  return text ? (JSON.parse(text) as DrawnLine[]) : [];
}

type Box = { x: number; y: number; width: number; height: number };
const overlaps = (a: Box, b: Box) =>
  a.x < b.x + b.width - 1 && b.x < a.x + a.width - 1 && a.y < b.y + b.height - 1 && b.y < a.y + a.height - 1;

/** The chart stays inside its card, and the card overlaps neither the ticket nor the orders panel. */
async function expectChartInItsCard(label: string) {
  await page.screenshot({ path: join(shots, `cockpit-${label}.png`), fullPage: true });
  const canvas = await byTestId('chart-canvas').boundingBox();
  const card = await page
    .locator('section', { has: byTestId('markets-chart') })
    .first()
    .boundingBox();
  const ticket = await byTestId('ticket').boundingBox();
  const orders = await byTestId('orders').boundingBox();
  if (!canvas || !card || !ticket || !orders) throw new Error(`${label}: a part is not on screen`);
  expect(canvas.y + canvas.height).toBeLessThanOrEqual(card.y + card.height + 1);
  expect(canvas.x + canvas.width).toBeLessThanOrEqual(card.x + card.width + 1);
  expect(overlaps(card, ticket)).toBe(false);
  expect(overlaps(card, orders)).toBe(false);
  // Nothing scrolls sideways.
  // A string: the browser's globals are not in this (Node) project's types.
  const wide = Number(await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'));
  expect(wide).toBeLessThanOrEqual(0);
}

describe('the chart as the cockpit', () => {
  let orderId = '';
  let placedPrice = '';

  it('opens Trade with a funded account on the simulator market', async () => {
    await byTestId('nav-trade').click();
    await page.waitForURL(/\/trade/);
    await byTestId('trade-onboarding').waitFor({ timeout: 15_000 });
    await byTestId('account-name').fill('Cockpit paper');
    await byTestId('account-create').click();
    await byTestId('account-picker').waitFor({ timeout: 15_000 });
    await byTestId('markets-venue').selectOption('binance');
    await byTestId('markets-symbol').selectOption('BTC-USDT');
    await expect
      .poll(async () => Number(await attr('balance-row-USDT', 'data-free')), { timeout: 15_000 })
      .toBe(10_000);
    await expect
      .poll(async () => Number(await attr('markets-chart', 'data-candles')), { timeout: 20_000 })
      .toBeGreaterThan(0);
    await expect.poll(() => attr('ticket-reference', 'data-price'), { timeout: 20_000 }).not.toBe('');
  });

  it('prefills the limit price from the book and sizes 50% of the free balance, rounded down to the lot', async () => {
    await byTestId('ticket-side-buy').click();
    await byTestId('ticket-type').selectOption('limit');
    await expect.poll(() => byTestId('ticket-price').inputValue(), { timeout: 20_000 }).not.toBe('');
    const last = Number(await attr('ticket-reference', 'data-price'));
    placedPrice = (last * 0.99).toFixed(2);
    await byTestId('ticket-price').fill(placedPrice);
    await byTestId('ticket-size-50').click();
    const quantity = await byTestId('ticket-quantity').inputValue();
    expect(quantity).toMatch(/^\d+(\.\d+)?$/);
    // Test arithmetic only: half of 10,000 USDT with the 0.1% fee reserve, and within one lot of it.
    const spend = Number(quantity) * Number(placedPrice) * 1.001;
    expect(spend).toBeLessThanOrEqual(5_000);
    expect(spend).toBeGreaterThan(5_000 - Number(placedPrice) * 0.001);
    await page.screenshot({ path: join(shots, 'cockpit-ticket-50.png') });
  });

  it('draws a placed limit order on the chart, and moves it by dragging its line after a confirmation', async () => {
    await byTestId('ticket-quantity').fill('0.01');
    await byTestId('ticket-submit').click();
    const row = page.getByTestId('open-order-row').first();
    await row.waitFor({ timeout: 30_000 });
    orderId = (await row.getAttribute('data-order-id')) ?? '';
    expect(Number(await row.getAttribute('data-price'))).toBe(Number(placedPrice));

    await expect
      .poll(async () => (await drawnLines()).some((l) => l.orderId === orderId), { timeout: 15_000 })
      .toBe(true);
    const line = (await drawnLines()).find((l) => l.orderId === orderId);
    const canvas = await byTestId('chart-canvas').boundingBox();
    if (!line || !canvas) throw new Error('the order line is not drawn');
    await page.screenshot({ path: join(shots, 'cockpit-order-line.png') });

    await page.mouse.move(canvas.x + line.x, canvas.y + line.y);
    await page.mouse.down();
    await page.mouse.move(canvas.x + line.x, canvas.y + line.y + 20, { steps: 5 });
    await page.mouse.move(canvas.x + line.x, canvas.y + line.y + 40, { steps: 5 });
    await page.mouse.up();

    await byTestId('order-move-confirm').waitFor({ timeout: 5_000 });
    const question = (await byTestId('order-move-question').textContent()) ?? '';
    expect(question).toMatch(/^Move buy 0\.010* @ [\d,]+\.\d+ to [\d,]+\.\d+\?$/);
    const target = question.replace(/^.* to ([\d,.]+)\?$/, '$1').replaceAll(',', '');
    expect(Number(target)).toBeLessThan(Number(placedPrice));
    await page.screenshot({ path: join(shots, 'cockpit-move-confirm.png') });
    await byTestId('order-move-ok').click();
    // The confirmation closes on success; a refusal stays in it with the engine's message (shown here).
    await expect
      .poll(
        async () =>
          (await byTestId('order-move-confirm').count()) === 0
            ? 'closed'
            : (await byTestId('order-move-error').count()) > 0
              ? await byTestId('order-move-error').textContent()
              : 'open',
        { timeout: 30_000 },
      )
      .toBe('closed');

    // The old order is replaced by one at the dropped price: one open order, at the new price.
    await expect
      .poll(async () => page.locator(`[data-testid="open-order-row"][data-order-id="${orderId}"]`).count(), {
        timeout: 10_000,
      })
      .toBe(0);
    const moved = page.getByTestId('open-order-row');
    await expect.poll(() => moved.count(), { timeout: 10_000 }).toBe(1);
    expect(Number(await moved.first().getAttribute('data-price'))).toBe(Number(target));
    const movedId = (await moved.first().getAttribute('data-order-id')) ?? '';
    await expect
      .poll(async () => (await drawnLines()).some((l) => l.orderId === movedId), { timeout: 10_000 })
      .toBe(true);
  });

  it('asks before Cancel all, and cancels nothing when told no', async () => {
    await byTestId('open-orders-cancel-all').click();
    await byTestId('cancel-all-confirm').waitFor({ timeout: 5_000 });
    await byTestId('cancel-all-confirm-dismiss').click();
    expect(await page.getByTestId('open-order-row').count()).toBe(1);
    await byTestId('open-orders-cancel-all').click();
    await byTestId('cancel-all-confirm-ok').click();
    await expect.poll(() => page.getByTestId('open-order-row').count(), { timeout: 10_000 }).toBe(0);
  });

  it('asks before halting the account', async () => {
    await byTestId('risk-kill-switch').click();
    await byTestId('risk-halt-confirm').waitFor({ timeout: 5_000 });
    await byTestId('risk-halt-confirm-dismiss').click();
    expect(await attr('ticket-submit', 'data-halted')).toBe('false');
  });

  it('keeps the chart in its card at 1440x900 and 390x844', async () => {
    await expectChartInItsCard('1440');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await expect
      .poll(async () => Number(await attr('markets-chart', 'data-candles')), { timeout: 20_000 })
      .toBeGreaterThan(0);
    await expectChartInItsCard('390');
  });

  it('threw no uncaught error in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
