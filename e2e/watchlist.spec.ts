import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTenantTier } from '@qt/api';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../apps/engine/test/support/test-engine.ts';
import { launchBrowser } from './support/browser.ts';
import { freePort } from './support/free-port.ts';
import { signUpInBrowser } from './support/sign-up.ts';
import { startWebApp, type WebApp } from './support/web-app.ts';

// The symbol picker and the watchlist on the Markets screen, against the simulator: pick a symbol by
// typing, watch it with its live 24h figures, follow a symbol the engine did not follow (refused on FREE,
// done on PRO), and the panel on a phone.

const shots = join(resolve(import.meta.dirname, '..'), 'test-results');
const EMAIL = `watcher-${Date.now()}@example.test`;

describe('symbol picker and watchlist (simulator)', () => {
  let browser: Browser;
  let engine: TestEngine;
  let web: WebApp;
  let page: Page;

  beforeAll(async () => {
    browser = await launchBrowser();
    mkdirSync(shots, { recursive: true });
    const port = await freePort();
    engine = await startTestEngine({
      webOrigins: [`http://127.0.0.1:${port}`, `http://localhost:${port}`],
      webPublicUrl: `http://127.0.0.1:${port}`,
      marketSource: 'simulator',
      simulatorTradesPerSecond: 30,
      marketVenues: ['binance'],
      marketSymbols: ['BTC-USDT', 'ETH-USDT'],
      marketDepth: false,
    });
    web = await startWebApp({
      port,
      engineUrl: engine.engine.server.url,
      sessionSecret: engine.sessionSecret,
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await signUpInBrowser(page, web.url, engine.outboxDir, {
      name: 'Wanda Watch',
      email: EMAIL,
      password: 'correct horse battery staple',
    });
  });
  afterAll(async () => {
    await page?.close();
    await browser?.close();
    await web?.stop();
    await engine?.stop();
  });

  const search = () => page.getByTestId('markets-symbol-search');

  it('picks a symbol by typing and the keyboard; the list shows 24h change and marks followable ones', async () => {
    await page.goto(`${web.url}/markets?venue=binance&symbol=BTC-USDT&interval=1m`);
    await search().click();
    await search().fill('eth');
    const eth = page.getByTestId('symbol-option-ETH-USDT');
    await eth.waitFor({ timeout: 15_000 });
    expect(await eth.getAttribute('data-followed')).toBe('true');
    // Followed markets carry their 24h change once the engine has figures for them.
    await expect.poll(async () => (await eth.textContent()) ?? '', { timeout: 30_000 }).toMatch(/%/);
    await search().press('Enter');
    await page.waitForURL(/symbol=ETH-USDT/, { timeout: 10_000 });
    expect(await search().inputValue()).toBe('ETH-USDT');

    // A symbol the simulator lists but the engine does not follow is offered to follow.
    await search().click();
    await search().fill('sol');
    const sol = page.getByTestId('symbol-option-SOL-USDT');
    await sol.waitFor();
    expect(await sol.getAttribute('data-followed')).toBe('false');
    expect(await sol.textContent()).toMatch(/follow/i);
    await search().press('Escape');
  });

  it('adds the market to the watchlist and shows its live 24h figures', async () => {
    await page.getByTestId('watchlist-add').click();
    const row = page.getByTestId('watch-binance-ETH-USDT');
    await row.waitFor({ timeout: 10_000 });
    await expect
      .poll(async () => (await row.getByTestId('watch-change').textContent()) ?? '', { timeout: 30_000 })
      .toMatch(/%/);
    expect(await row.getByTestId('watch-last').textContent()).toMatch(/^[\d,]+(\.\d+)?$/);
    expect(await page.getByTestId('watchlist-add').isDisabled()).toBe(true);
    await page.screenshot({ path: join(shots, 'watchlist.png') });
  });

  it('following a new symbol is refused on FREE and done on PRO, then its trades come in', async () => {
    await search().click();
    await search().fill('SOL');
    await search().press('ArrowDown');
    await search().press('Enter');
    const refusal = page.getByTestId('markets-follow-error');
    await refusal.waitFor({ timeout: 10_000 });
    expect(await refusal.textContent()).toMatch(/FREE plan follows at most 0/);

    const user = await engine.engine.api.db.user.findUniqueOrThrow({
      where: { email: EMAIL },
      include: { memberships: true },
    });
    await setTenantTier(engine.engine.api, user.memberships[0]?.tenantId ?? '', 'PRO');
    await search().click();
    await search().fill('sol');
    await page.getByTestId('symbol-option-SOL-USDT').click();
    await page.waitForURL(/symbol=SOL-USDT/, { timeout: 15_000 });
    await search().click();
    await search().fill('sol');
    await expect
      .poll(async () => page.getByTestId('symbol-option-SOL-USDT').getAttribute('data-followed'), {
        timeout: 15_000,
      })
      .toBe('true');
    await search().press('Escape');
    await page.getByTestId('watchlist-add').click();
    const row = page.getByTestId('watch-binance-SOL-USDT');
    await expect
      .poll(async () => (await row.getByTestId('watch-last').count()) > 0, { timeout: 60_000 })
      .toBe(true);
  });

  it('fits a phone (390x844): the watchlist rows and the picker, no sideways scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${web.url}/markets?venue=binance&symbol=ETH-USDT&interval=1m`);
    const row = page.getByTestId('watch-binance-ETH-USDT');
    await row.waitFor({ timeout: 15_000 });
    await row.scrollIntoViewIfNeeded();
    const extra = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    expect(extra).toBeLessThanOrEqual(0);
    const box = await row.boundingBox();
    expect(box && box.x >= 0 && box.x + box.width <= 390).toBe(true);
    await search().click();
    await search().fill('e');
    const list = page.getByTestId('markets-symbol-options');
    const listBox = await list.boundingBox();
    expect(listBox && listBox.x + listBox.width <= 390).toBe(true);
    await page.screenshot({ path: join(shots, 'watchlist-phone.png') });
  });
});
