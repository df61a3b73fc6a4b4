import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../apps/engine/test/bus/bus-contract.ts';
import { startTestEngine, type TestEngine } from '../apps/engine/test/support/test-engine.ts';
import { launchBrowser } from './support/browser.ts';
import { freePort } from './support/free-port.ts';
import { signUpInBrowser } from './support/sign-up.ts';
import { startWebApp, type WebApp } from './support/web-app.ts';

const shots = join(resolve(import.meta.dirname, '..'), 'test-results');
const MIN = 60_000;
const DAY = 86_400_000;
/** Days of 1m history the engine bootstraps at its first start (the demo's 90 would only be slower). */
const BOOTSTRAP_DAYS = 2;
const phone = { width: 390, height: 844 };

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
    marketVenues: ['binance'],
    marketSymbols: ['BTC-USDT'],
    simulatorTradesPerSecond: 50,
    historyBootstrapDays: BOOTSTRAP_DAYS,
  });
  web = await startWebApp({ port, engineUrl: engine.engine.server.url, sessionSecret: engine.sessionSecret });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await signUpInBrowser(page, web.url, engine.outboxDir, {
    name: 'Dana Depth',
    email: `depth-${Date.now()}@example.test`,
    password: 'correct horse battery staple',
  });
  // The chart reads its history once, when it opens: wait for the bootstrap to have stored the last days
  // (through the API, as any script would) before opening it.
  const api = engine.client((await engine.signUp('observer')).token);
  await waitFor(
    async () => {
      const c = await api.history.coverage.query({
        venue: 'binance',
        symbol: 'BTC-USDT',
        interval: '1m',
        from: Date.now() - BOOTSTRAP_DAYS * DAY + 10 * MIN,
      });
      return c.storedCandles >= c.expectedCandles - 3;
    },
    120_000,
    'the bootstrap stored the last days of 1m candles',
  );
});

afterAll(async () => {
  await page?.close();
  await browser?.close();
  await web?.stop();
  await engine?.stop();
});

const byTestId = (p: Page, id: string) => p.getByTestId(id).first();
const attr = async (p: Page, id: string, name: string) => (await byTestId(p, id).getAttribute(name)) ?? '';
const num = async (p: Page, id: string, name: string) => Number(await attr(p, id, name));

const pad = (n: number) => String(n).padStart(2, '0');
/** A `datetime-local` value in this machine's time zone (the browser runs in the same one). */
function localInput(ms: number): string {
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

describe('order book and history on the Markets screen (simulator)', () => {
  it('shows a live depth ladder whose levels move, and a depth chart', async () => {
    await page.goto(`${web.url}/markets?venue=binance&symbol=BTC-USDT&interval=1m`);
    await expect.poll(() => attr(page, 'depth-panel', 'data-state'), { timeout: 30_000 }).toBe('live');
    const bids = page.locator('[data-testid="depth-row"][data-side="bid"]');
    const asks = page.locator('[data-testid="depth-row"][data-side="ask"]');
    expect(await bids.count()).toBeGreaterThan(0);
    expect(await asks.count()).toBeGreaterThan(0);

    // One snapshot of the drawn ladder (the book moves between separate reads): the best bid is below
    // the best ask, the spread line agrees with them, sides are sorted away from the spread, and the
    // cumulative totals grow away from the best price.
    const shown = await byTestId(page, 'depth-panel').evaluate((panel) => {
      const ladder = panel.querySelector('[data-testid="depth-ladder"]');
      const spread = panel.querySelector('[data-testid="depth-spread"]');
      const side = (s: string) =>
        [...panel.querySelectorAll(`[data-testid="depth-row"][data-side="${s}"]`)].map((r) => ({
          price: Number(r.getAttribute('data-price')),
          total: Number(r.querySelector('button')?.children[2]?.textContent?.replace(/,/g, '') ?? 'NaN'),
        }));
      return {
        bestBid: Number(ladder?.getAttribute('data-best-bid')),
        bestAsk: Number(ladder?.getAttribute('data-best-ask')),
        spread: Number(spread?.getAttribute('data-spread')),
        bids: side('bid'),
        // Drawn far to near: the best ask is the last row above the spread.
        asks: side('ask').reverse(),
      };
    });
    expect(shown.bestBid).toBeGreaterThan(0);
    expect(shown.bestAsk, JSON.stringify(shown)).toBeGreaterThan(shown.bestBid);
    expect(shown.spread).toBeCloseTo(shown.bestAsk - shown.bestBid, 6);
    expect(shown.bids[0]?.price).toBe(shown.bestBid);
    expect(shown.asks[0]?.price).toBe(shown.bestAsk);
    for (const rows of [shown.bids, shown.asks])
      for (let i = 1; i < rows.length; i++)
        expect(rows[i]?.total ?? 0).toBeGreaterThanOrEqual(rows[i - 1]?.total ?? 0);

    // The numbers change over time as the simulated book moves.
    const before = await attr(page, 'depth-ladder', 'data-signature');
    const updates = await num(page, 'depth-panel', 'data-updates');
    await expect
      .poll(() => attr(page, 'depth-ladder', 'data-signature'), { timeout: 30_000 })
      .not.toBe(before);
    expect(await num(page, 'depth-panel', 'data-updates')).toBeGreaterThan(updates);

    // The depth chart draws both sides' cumulative curves.
    await expect.poll(() => num(page, 'depth-chart', 'data-bids'), { timeout: 15_000 }).toBeGreaterThan(0);
    expect(await num(page, 'depth-chart', 'data-asks')).toBeGreaterThan(0);
    await page.locator('[data-testid="depth-chart"] canvas').first().waitFor({ timeout: 15_000 });
    await byTestId(page, 'depth-panel').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'market-depth-ladder.png') });
  });

  it('charts the backfilled history, far more than the live candles', async () => {
    // A fresh engine has made a few live 1m candles; the bootstrap stored days of them.
    await expect
      .poll(() => num(page, 'markets-chart', 'data-candles'), { timeout: 30_000 })
      .toBeGreaterThanOrEqual(400);
  });

  it('lists what is stored and missing, and runs a backfill to done with live progress', async () => {
    const coverage = byTestId(page, 'history-coverage');
    await coverage.waitFor({ timeout: 30_000 });
    // The default window is the last 7 days: the bootstrap's 2 days are stored, the rest is a gap.
    const stored = await num(page, 'history-coverage', 'data-stored-candles');
    expect(stored).toBeGreaterThanOrEqual(BOOTSTRAP_DAYS * 1440 - 5);
    expect(await num(page, 'history-coverage', 'data-expected-candles')).toBeGreaterThan(stored);
    expect(await page.locator('[data-testid="history-range"][data-kind="stored"]').count()).toBeGreaterThan(
      0,
    );
    expect(await page.locator('[data-testid="history-range"][data-kind="missing"]').count()).toBeGreaterThan(
      0,
    );

    // Beyond the FREE tier's 90 days: the engine's refusal, in its words, with its code.
    await byTestId(page, 'backfill-from').fill(localInput(Date.now() - 200 * DAY));
    await byTestId(page, 'backfill-submit').click();
    const refused = byTestId(page, 'backfill-error');
    await refused.waitFor({ timeout: 15_000 });
    expect(await refused.getAttribute('data-code')).toBe('TIER_LIMIT_REACHED');
    expect(await refused.textContent()).toMatch(/90 days/);

    // Ten days before the bootstrap's range: about 14,400 candles, a page of 1,000 at a time.
    await byTestId(page, 'backfill-from').fill(localInput(Date.now() - 12 * DAY));
    await byTestId(page, 'backfill-submit').click();
    const job = byTestId(page, 'backfill-job');
    await job.waitFor({ timeout: 15_000 });
    const progressSeen = new Set<number>();
    await expect
      .poll(
        async () => {
          progressSeen.add(Number((await job.getAttribute('data-progress')) ?? 0));
          return job.getAttribute('data-status');
        },
        { timeout: 90_000, interval: 200 },
      )
      .toBe('done');
    expect(await num(page, 'backfill-job', 'data-progress')).toBe(10_000);
    expect(await num(page, 'backfill-job', 'data-candles')).toBeGreaterThan(10 * 1440 - 10);
    // Progress came over the live subscription, page by page (not just the final state on a refetch).
    expect(await num(page, 'history-panel', 'data-progress-events')).toBeGreaterThan(1);
    expect([...progressSeen].some((p) => p > 0 && p < 10_000) || progressSeen.size > 1).toBe(true);

    // The finished job refreshes the coverage: the 7-day window is now (nearly) all stored.
    await expect
      .poll(() => num(page, 'history-coverage', 'data-missing-ranges'), { timeout: 30_000 })
      .toBeLessThanOrEqual(1);
    expect(await num(page, 'history-coverage', 'data-stored-candles')).toBeGreaterThan(6 * 1440);
    await byTestId(page, 'history-panel').scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(shots, 'market-history-coverage.png') });
  });
});

describe('the order book on the Trade screen', () => {
  it('shows the same live ladder beside the order ticket', async () => {
    await page.goto(`${web.url}/trade`);
    await byTestId(page, 'trade-onboarding').waitFor({ timeout: 20_000 });
    await byTestId(page, 'account-name').fill('Depth paper');
    await byTestId(page, 'account-create').click();
    await byTestId(page, 'account-picker').waitFor({ timeout: 20_000 });
    await expect.poll(() => attr(page, 'depth-panel', 'data-state'), { timeout: 30_000 }).toBe('live');
    expect(await page.locator('[data-testid="depth-row"]').count()).toBeGreaterThan(1);
    const before = await attr(page, 'depth-ladder', 'data-signature');
    await expect
      .poll(() => attr(page, 'depth-ladder', 'data-signature'), { timeout: 30_000 })
      .not.toBe(before);
    // A click on a level puts its price in the ticket (limit is the default type).
    // Read and clicked in one step in the page: the ladder moves between two Playwright calls.
    const price = String(
      await page.evaluate(`(() => {
        const rows = document.querySelectorAll('[data-testid="depth-row"][data-side="ask"]');
        const row = rows[rows.length - 1];
        row.querySelector('button').click();
        return row.getAttribute('data-price');
      })()`),
    );
    await expect
      .poll(async () => Number(await byTestId(page, 'ticket-price').inputValue()), { timeout: 10_000 })
      .toBe(Number(price));
  });
});

describe('the depth ladder on a 390x844 phone', () => {
  it('stacks under the chart and nothing scrolls sideways', async () => {
    const context = await browser.newContext({
      storageState: await page.context().storageState(),
      viewport: phone,
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
    const mobile = await context.newPage();
    try {
      await mobile.goto(`${web.url}/markets?venue=binance&symbol=BTC-USDT&interval=1m`);
      await expect.poll(() => attr(mobile, 'depth-panel', 'data-state'), { timeout: 30_000 }).toBe('live');
      const ladder = byTestId(mobile, 'depth-ladder');
      await ladder.scrollIntoViewIfNeeded();
      const box = await ladder.boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= phone.width).toBe(true);
      // Stacked: the chart is below the ladder, not beside it. Both boxes are read in ONE evaluation: the
      // ladder's rows and the panels above it are live, so two separate reads can straddle a re-layout
      // (seen once in CI: the chart read a moment after the ladder, above the ladder's old bottom).
      const stacked = async () =>
        (await mobile.evaluate(`(() => {
          const rect = (id) => document.querySelector('[data-testid="' + id + '"]')?.getBoundingClientRect();
          const ladder = rect('depth-ladder');
          const chart = rect('depth-chart');
          return !!ladder && !!chart && chart.top >= ladder.bottom - 1;
        })()`)) as boolean;
      await expect.poll(stacked, { timeout: 10_000 }).toBe(true);
      const extra = await mobile.evaluate('document.documentElement.scrollWidth - window.innerWidth');
      expect(extra).toBeLessThanOrEqual(0);
      await mobile.screenshot({ path: join(shots, 'phone-market-depth.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });
});
