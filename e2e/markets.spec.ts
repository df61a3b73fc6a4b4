import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineConfig } from '../apps/engine/src/config/config-schema.ts';
import { startTestEngine, type TestEngine } from '../apps/engine/test/support/test-engine.ts';
import { launchBrowser } from './support/browser.ts';
import { freePort } from './support/free-port.ts';
import { signUpInBrowser } from './support/sign-up.ts';
import { startWebApp, type WebApp } from './support/web-app.ts';

const shots = join(resolve(import.meta.dirname, '..'), 'test-results');

interface Stack {
  engine: TestEngine;
  web: WebApp;
  page: Page;
}

let browser: Browser;

beforeAll(async () => {
  browser = await launchBrowser();
  mkdirSync(shots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
});

/** An engine with the given market settings, the dashboard in front of it, and a signed-up person in a page. */
async function startStack(market: Partial<EngineConfig>): Promise<Stack> {
  const port = await freePort();
  const engine = await startTestEngine({
    webOrigins: [`http://127.0.0.1:${port}`, `http://localhost:${port}`],
    webPublicUrl: `http://127.0.0.1:${port}`,
    ...market,
  });
  const web = await startWebApp({
    port,
    engineUrl: engine.engine.server.url,
    sessionSecret: engine.sessionSecret,
  });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await signUpInBrowser(page, web.url, engine.outboxDir, {
    name: 'Mira Markets',
    email: `markets-${Date.now()}@example.test`,
    password: 'correct horse battery staple',
  });
  return { engine, web, page };
}

async function stopStack(stack: Stack | undefined): Promise<void> {
  await stack?.page.close();
  await stack?.web.stop();
  await stack?.engine.stop();
}

const chart = (page: Page) => page.getByTestId('markets-chart');
const chartAttr = async (page: Page, name: string) => (await chart(page).getAttribute(name)) ?? '';

describe('the Markets screen on an engine without market data', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ marketSource: 'off' });
  });
  afterAll(() => stopStack(stack));

  it('says that market data is switched off instead of showing an empty chart', async () => {
    const { page } = stack;
    await page.getByTestId('nav-markets').click();
    await page.waitForURL(/\/markets/);
    const problem = page.getByTestId('markets-problem').first();
    await problem.waitFor({ timeout: 15_000 });
    expect(await problem.getAttribute('data-code')).toBe('MARKET_DATA_DISABLED');
    expect(await problem.textContent()).toMatch(/switched off/i);
    await page.screenshot({ path: join(shots, 'markets-disabled.png') });
  });
});

describe('the Markets screen on an engine running the exchange simulator', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ marketSource: 'simulator', simulatorTradesPerSecond: 50 });
  });
  afterAll(() => stopStack(stack));

  it('draws live BTC-USDT candles from binance that move as trades arrive', async () => {
    const { page, web } = stack;
    await page.getByTestId('nav-markets').click();
    await page.waitForURL(/\/markets/);
    await page.getByTestId('markets-venue').selectOption('binance');
    await page.getByTestId('markets-symbol').selectOption('BTC-USDT');
    await page.getByTestId('markets-interval').selectOption('1s');
    await page.waitForURL(/venue=binance&symbol=BTC-USDT&interval=1s/);

    await expect
      .poll(async () => Number(await chartAttr(page, 'data-candles')), { timeout: 20_000 })
      .toBeGreaterThan(0);
    const updates = Number(await chartAttr(page, 'data-updates'));
    const close = await chartAttr(page, 'data-last-close');
    await expect
      .poll(async () => Number(await chartAttr(page, 'data-updates')), { timeout: 10_000 })
      .toBeGreaterThan(updates);
    await expect.poll(() => chartAttr(page, 'data-last-close'), { timeout: 10_000 }).not.toBe(close);
    expect(await page.getByTestId('markets-last-price').textContent()).toMatch(/\d/);
    await expect.poll(() => page.getByTestId('trades-row').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await page.screenshot({ path: join(shots, 'markets-binance-btc-1s.png') });

    // The choice survives a reload through the URL.
    await page.reload();
    expect(await page.getByTestId('markets-interval').inputValue()).toBe('1s');
    expect(await page.getByTestId('markets-symbol').inputValue()).toBe('BTC-USDT');
    expect(page.url()).toContain(`${web.url}/markets?`);
  });

  it('switches venue to okx and shows its candles', async () => {
    const { page } = stack;
    await page.getByTestId('markets-venue').selectOption('okx');
    await page.waitForURL(/venue=okx/);
    await expect
      .poll(async () => Number(await chartAttr(page, 'data-candles')), { timeout: 20_000 })
      .toBeGreaterThan(0);
    await expect
      .poll(async () => Number(await chartAttr(page, 'data-updates')), { timeout: 10_000 })
      .toBeGreaterThan(0);
    await page.screenshot({ path: join(shots, 'markets-okx.png') });
  });

  it('shows each venue feed as live, with its details on hover', async () => {
    const { page } = stack;
    const badge = page.getByTestId('feed-badge-okx');
    await expect.poll(() => badge.getAttribute('data-state'), { timeout: 20_000 }).toBe('live');
    await badge.hover();
    const details = page.locator('li', { has: badge }).getByRole('tooltip');
    await details.waitFor({ state: 'visible', timeout: 5_000 });
    expect(await details.textContent()).toMatch(/msg\/s/);
    await page.screenshot({ path: join(shots, 'markets-feed-tooltip.png') });
  });
});
