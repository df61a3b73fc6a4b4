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

/**
 * A newcomer's first minutes on a machine that cannot reach the venues (offline): the engine runs on live
 * venues whose every endpoint refuses connections (a closed local port), as it does with no network.
 */
beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await launchBrowser();
  const port = await freePort();
  const closed = `ws://127.0.0.1:${await freePort()}`;
  const closedRest = `http://127.0.0.1:${await freePort()}`;
  engine = await startTestEngine({
    webOrigins: [`http://127.0.0.1:${port}`, `http://localhost:${port}`],
    webPublicUrl: `http://127.0.0.1:${port}`,
    marketSource: 'live',
    marketVenues: ['binance', 'okx'],
    binanceWsUrls: [closed],
    okxWsUrls: [closed],
    binanceRestUrl: closedRest,
    okxRestUrl: closedRest,
  });
  web = await startWebApp({ port, engineUrl: engine.engine.server.url, sessionSecret: engine.sessionSecret });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await signUpInBrowser(page, web.url, engine.outboxDir, {
    name: 'Fiona First',
    email: `first-${Date.now()}@example.test`,
    password: 'correct horse battery staple',
  });
});

afterAll(async () => {
  await page?.close();
  await browser?.close();
  await web?.stop();
  await engine?.stop();
});

const byTestId = (id: string) => page.getByTestId(id).first();

describe('the first hour, offline', () => {
  it('the Overview says what exists now, not what is "coming"', async () => {
    await page.goto(`${web.url}/`);
    const tour = byTestId('overview-tour');
    await tour.waitFor({ timeout: 15_000 });
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).not.toMatch(/next release|coming soon|arrive/i);
    for (const section of ['Trade', 'Strategies', 'Backtest', 'Alerts', 'Marketplace', 'Billing']) {
      expect(await tour.getByRole('link', { name: section, exact: true }).count()).toBe(1);
    }
    expect(await byTestId('engine-api-url').textContent()).toBe(`${engine.engine.server.url}/trpc`);
  });

  it('Markets says the venues are unreachable, offers the simulator, and shows no green Live dot', async () => {
    await page.goto(`${web.url}/markets`);
    const banner = byTestId('venues-unreachable');
    await banner.waitFor({ timeout: 30_000 });
    const said = (await banner.textContent()) ?? '';
    expect(said).toMatch(/binance, okx/);
    expect(said).toMatch(/MARKET_SOURCE=simulator npm start/);
    expect(await page.getByTestId('simulated-data').count()).toBe(0);
    for (const venue of ['binance', 'okx']) {
      expect(await byTestId(`feed-badge-${venue}`).getAttribute('data-state')).not.toBe('live');
    }
    // Subscribed, but nothing arrives: the dot says so instead of a green "Live".
    await expect.poll(() => byTestId('markets-live').textContent(), { timeout: 10_000 }).toBe('No live data');
    await page.screenshot({ path: join(shots, 'first-hour-unreachable.png') });
  });

  it('the feed status behind it says venue data, and not live', async () => {
    const feeds = engine.engine.market?.port.feeds() ?? [];
    expect(feeds.length).toBeGreaterThan(0);
    expect(feeds.every((f) => f.source === 'venue')).toBe(true);
    expect(feeds.every((f) => f.state !== 'live')).toBe(true);
  });
});
