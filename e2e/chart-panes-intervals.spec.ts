import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../apps/engine/test/support/test-engine.ts';
import { launchBrowser } from './support/browser.ts';
import { freePort } from './support/free-port.ts';
import { signUpInBrowser } from './support/sign-up.ts';
import { startWebApp, type WebApp } from './support/web-app.ts';

/**
 * The chart as a cockpit, part two: panes resized by dragging their dividers (mouse and touch) and
 * remembered, intervals the engine does not serve folded from finer candles, and chart controls that
 * never cover the price axis or the last-price tag. At 1440x900 and on a 390x844 phone.
 */

const shots = join(resolve(import.meta.dirname, '..'), 'test-results');

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
interface Pane {
  key: string;
  top: number;
  height: number;
}

let browser: Browser;
let engine: TestEngine;
let web: WebApp;

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  browser = await launchBrowser();
  const port = await freePort();
  engine = await startTestEngine({
    webOrigins: [`http://127.0.0.1:${port}`, `http://localhost:${port}`],
    webPublicUrl: `http://127.0.0.1:${port}`,
    marketSource: 'simulator',
    simulatorTradesPerSecond: 50,
  });
  web = await startWebApp({ port, engineUrl: engine.engine.server.url, sessionSecret: engine.sessionSecret });
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await engine?.stop();
});

async function newPage(phone: boolean, name: string): Promise<Page> {
  const page = phone
    ? await browser.newPage({
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
        deviceScaleFactor: 2,
      })
    : await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await signUpInBrowser(page, web.url, engine.outboxDir, {
    name,
    email: `chart-${phone ? 'phone' : 'desk'}-${Date.now()}@example.test`,
    password: 'correct horse battery staple',
  });
  return page;
}

const canvas = (page: Page) => page.getByTestId('chart-canvas');

async function panes(page: Page): Promise<Pane[]> {
  const raw = (await canvas(page).getAttribute('data-panes')) ?? '';
  return raw ? (JSON.parse(raw) as Pane[]) : [];
}
const heights = async (page: Page) => (await panes(page)).map((p) => p.height);
/** Heights equal to within a pixel each (the layout is stored as shares and laid out again in whole pixels). */
const near = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((h, i) => Math.abs(h - (b[i] as number)) <= 1);

async function openChart(page: Page, interval: string): Promise<void> {
  await page.goto(`${web.url}/markets?venue=binance&symbol=BTC-USDT&interval=${interval}`);
  await expect
    .poll(async () => Number(await page.getByTestId('markets-chart').getAttribute('data-candles')), {
      timeout: 30_000,
    })
    .toBeGreaterThan(0);
  await expect.poll(async () => (await panes(page)).length, { timeout: 10_000 }).toBeGreaterThanOrEqual(2);
}

const overlaps = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;

/**
 * The LOG button against what it must not cover: the last-price tag ECharts drew, and every pane with
 * its price axis (the full width of the chart, from the top of the first pane to the bottom of the last).
 */
async function expectControlsClear(page: Page): Promise<void> {
  await expect
    .poll(async () => (await canvas(page).getAttribute('data-last-tag')) ?? '', { timeout: 10_000 })
    .not.toBe('');
  const chartBox = (await canvas(page).boundingBox()) as Box;
  const log = (await page.getByTestId('chart-log-scale').boundingBox()) as Box;
  const tagRaw = JSON.parse((await canvas(page).getAttribute('data-last-tag')) ?? '{}') as Box;
  const tag = { ...tagRaw, x: chartBox.x + tagRaw.x, y: chartBox.y + tagRaw.y };
  expect(tag.width).toBeGreaterThan(10);
  expect(
    overlaps(log, tag),
    `LOG ${JSON.stringify(log)} over the last-price tag ${JSON.stringify(tag)}`,
  ).toBe(false);
  const stack = await panes(page);
  const first = stack[0] as Pane;
  const last = stack[stack.length - 1] as Pane;
  const panesBox = {
    x: chartBox.x,
    y: chartBox.y + first.top,
    width: chartBox.width,
    height: last.top + last.height - first.top,
  };
  expect(
    overlaps(log, panesBox),
    `LOG ${JSON.stringify(log)} over the panes ${JSON.stringify(panesBox)}`,
  ).toBe(false);
  // Still inside the chart, and clickable.
  expect(log.x + log.width).toBeLessThanOrEqual(chartBox.x + chartBox.width);
  expect(log.y + log.height).toBeLessThanOrEqual(chartBox.y + chartBox.height);
}

/** The last candles' open times are one interval apart (or a multiple, for a quiet one) and on its grid. */
async function expectStep(page: Page, interval: string, stepMs: number, atLeast: number): Promise<void> {
  const times = async () =>
    JSON.parse((await canvas(page).getAttribute('data-open-times')) || '[]') as number[];
  await expect
    .poll(async () => (await times()).length, { timeout: 60_000, interval: 500 })
    .toBeGreaterThanOrEqual(atLeast);
  expect(await canvas(page).getAttribute('data-interval')).toBe(interval);
  const t = await times();
  for (const time of t) expect(time % stepMs).toBe(0);
  const steps = t.slice(1).map((time, i) => time - (t[i] as number));
  for (const s of steps) {
    expect(s).toBeGreaterThan(0);
    expect(s % stepMs).toBe(0);
  }
  // At 50 trades a second every candle has trades: the step is exactly one interval.
  expect(steps).toContain(stepMs);
}

async function divider(page: Page, index: number): Promise<Box> {
  const el = page.locator(`[data-testid="chart-pane-divider"][data-index="${index}"]`);
  await el.scrollIntoViewIfNeeded();
  return (await el.boundingBox()) as Box;
}

describe('chart panes, intervals and controls at 1440x900', () => {
  let page: Page;
  beforeAll(async () => {
    page = await newPage(false, 'Dora Desk');
  });
  afterAll(() => page?.close());

  it('keeps the LOG button off the price axis and the last-price tag', async () => {
    await openChart(page, '1s');
    await expectControlsClear(page);
    await page.getByTestId('chart-log-scale').click();
    await expect.poll(() => canvas(page).getAttribute('data-log-scale')).toBe('true');
    await expectControlsClear(page);
    await page.getByTestId('chart-log-scale').click();
  });

  it('resizes the price and RSI panes by dragging their divider, remembers it, and resets on double-click', async () => {
    await page.getByTestId('overlay-add').selectOption('rsi');
    await expect.poll(async () => (await panes(page)).map((p) => p.key)).toEqual(['price', 'rsi', 'volume']);
    const before = await heights(page);
    const d = await divider(page, 0);
    const x = d.x + d.width / 2;
    const y = d.y + d.height / 2;
    await page.mouse.move(x, y);
    await page.mouse.down();
    await page.mouse.move(x, y - 30, { steps: 4 });
    await page.mouse.move(x, y - 60, { steps: 4 });
    await page.mouse.up();
    await expect.poll(() => heights(page)).not.toEqual(before);
    const after = await heights(page);
    expect(Math.abs((after[0] as number) - ((before[0] as number) - 60))).toBeLessThanOrEqual(1);
    expect(Math.abs((after[1] as number) - ((before[1] as number) + 60))).toBeLessThanOrEqual(1);
    expect(after[2]).toBe(before[2]);
    await page.screenshot({ path: join(shots, 'chart-panes-resized-1440.png') });

    // The divider below the RSI pane stops at the minimum height instead of crushing the volume pane.
    const d1 = await divider(page, 1);
    await page.mouse.move(d1.x + d1.width / 2, d1.y + d1.height / 2);
    await page.mouse.down();
    await page.mouse.move(d1.x + d1.width / 2, d1.y + d1.height / 2 + 500, { steps: 6 });
    await page.mouse.up();
    await expect.poll(async () => (await heights(page))[2]).toBe(36);
    const clamped = await heights(page);

    await page.reload();
    await expect.poll(async () => near(await heights(page), clamped), { timeout: 20_000 }).toBe(true);

    await page.locator('[data-testid="chart-pane-divider"][data-index="0"]').dblclick();
    await expect.poll(() => heights(page)).toEqual(before);
    await expectControlsClear(page);
  });

  it('offers intervals the engine does not serve, folded from its finer candles', async () => {
    const options = await page.evaluate(
      `[...document.querySelectorAll('[data-testid="markets-interval"] option')].map((o) => o.value)`,
    );
    expect(options).toEqual([
      '1s',
      '5s',
      '15s',
      '30s',
      '1m',
      '3m',
      '5m',
      '15m',
      '30m',
      '1h',
      '2h',
      '4h',
      '6h',
      '12h',
      '1d',
      '1w',
    ]);
    await page.getByTestId('markets-interval').selectOption('5s');
    await page.waitForURL(/interval=5s/);
    await expectStep(page, '5s', 5_000, 3);
    // Starred, 5s gets a button of its own, and it stays after a reload.
    await page.getByTestId('markets-interval-star').click();
    await page.reload();
    await page.getByTestId('markets-interval-fav-5s').waitFor({ timeout: 15_000 });
    expect(await page.getByTestId('markets-interval-fav-5s').getAttribute('aria-pressed')).toBe('true');
    await page.getByTestId('markets-interval-fav-1s').click();
    await page.waitForURL(/interval=1s/);
    await expectStep(page, '1s', 1_000, 3);
    await page.screenshot({ path: join(shots, 'chart-intervals-1440.png') });
  });
});

describe('chart panes, intervals and controls on a 390x844 phone', () => {
  let page: Page;
  beforeAll(async () => {
    page = await newPage(true, 'Pia Phone');
  });
  afterAll(() => page?.close());

  it('keeps the LOG button clear, and the interval picker fits and switches to a folded interval', async () => {
    await openChart(page, '1s');
    await expectControlsClear(page);
    expect(
      await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'),
    ).toBeLessThanOrEqual(0);
    const select = (await page.getByTestId('markets-interval').boundingBox()) as Box;
    expect(select.height).toBeGreaterThanOrEqual(24);
    expect(select.x + select.width).toBeLessThanOrEqual(390);
    await page.getByTestId('markets-interval').selectOption('15s');
    await page.waitForURL(/interval=15s/);
    await expectStep(page, '15s', 15_000, 2);
    await page.getByTestId('markets-interval-fav-1s').tap();
    await page.waitForURL(/interval=1s/);
    await openChart(page, '1s');
  });

  it('resizes the panes with a finger and remembers the layout', async () => {
    const before = await heights(page);
    const d = await divider(page, 0);
    const x = Math.round(d.x + d.width / 2);
    const y = Math.round(d.y + d.height / 2);
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y }] });
    for (let dy = -10; dy >= -50; dy -= 10)
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y: y + dy }] });
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
    await expect.poll(() => heights(page)).not.toEqual(before);
    const after = await heights(page);
    expect(Math.abs((after[0] as number) - ((before[0] as number) - 50))).toBeLessThanOrEqual(1);
    expect(Math.abs((after[1] as number) - ((before[1] as number) + 50))).toBeLessThanOrEqual(1);
    await page.screenshot({ path: join(shots, 'chart-panes-resized-phone.png') });
    await page.reload();
    await expect.poll(async () => near(await heights(page), after), { timeout: 20_000 }).toBe(true);
    await expectControlsClear(page);
  });
});
