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
    // Enough prints that every 1s candle has trades and a strategy's market orders fill at once.
    simulatorTradesPerSecond: 200,
  });
  web = await startWebApp({ port, engineUrl: engine.engine.server.url, sessionSecret: engine.sessionSecret });
  page = await browser.newPage({ viewport: { width: 1440, height: 1100 } });
  await signUpInBrowser(page, web.url, engine.outboxDir, {
    name: 'Stella Strategist',
    email: `strategies-${Date.now()}@example.test`,
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
const attr = async (id: string, name: string) => (await byTestId(id).first().getAttribute(name)) ?? '';

/** Fast periods, so a few dozen one-second candles are enough for the averages to cross. */
async function fillSmaParams() {
  await byTestId('param-fast').fill('3');
  await byTestId('param-slow').fill('8');
  await byTestId('param-quantity').fill('0.01');
}

/**
 * Candles the engine has stored (not the live, still-open ones): `before` makes `market.candles` read
 * only the table. A backtest replays stored data, so the test waits for enough of it instead of sleeping.
 */
let watcherToken: string | undefined;
async function storedOneSecondCandles(): Promise<number> {
  watcherToken ??= (await engine.signUp('candle-watcher')).token;
  const client = engine.client(watcherToken);
  const page = await client.market.candles.query({
    venue: 'binance',
    symbol: 'BTC-USDT',
    interval: '1s',
    before: Date.now() + 60_000,
    limit: 1_500,
  });
  return page.candles.length;
}

/**
 * A hostile module, byte by byte: one type `(i32 i32 i32 i32) -> i32` and one import of WASI's
 * `fd_write`, a way out of the sandbox that the host ABI does not offer.
 */
function moduleImportingFdWrite(): Buffer {
  const text = (s: string) => [s.length, ...Buffer.from(s, 'latin1')];
  const section = (id: number, body: number[]) => [id, body.length, ...body];
  const types = section(1, [0x01, 0x60, 0x04, 0x7f, 0x7f, 0x7f, 0x7f, 0x01, 0x7f]);
  const imports = section(2, [0x01, ...text('wasi_snapshot_preview1'), ...text('fd_write'), 0x00, 0x00]);
  return Buffer.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, ...types, ...imports]);
}

describe('strategies and backtests from the dashboard, on the simulator market', () => {
  it('creates and funds a paper account for the strategy to trade in', async () => {
    await byTestId('nav-trade').click();
    await page.waitForURL(/\/trade/);
    await byTestId('trade-onboarding').waitFor({ timeout: 15_000 });
    await byTestId('account-name').fill('Strategy paper');
    // Funded below with the deposit form: no starting balance here.
    await byTestId('account-initial-deposit').fill('');
    await byTestId('account-create').click();
    await byTestId('account-picker').waitFor({ timeout: 15_000 });
    await byTestId('deposit-open').click();
    await byTestId('deposit-asset').fill('USDT');
    await byTestId('deposit-amount').fill('10000');
    await byTestId('deposit-submit').click();
    await expect
      .poll(async () => Number(await attr('balance-row-USDT', 'data-free')), { timeout: 10_000 })
      .toBe(10_000);
  });

  it('creates a strategy from the sma-crossover example', async () => {
    await byTestId('nav-strategies').click();
    await page.waitForURL(/\/strategies/);
    await byTestId('strategies-onboarding').waitFor({ timeout: 15_000 });
    await byTestId('strategy-new-example').click();
    await byTestId('example-select').selectOption('sma-crossover');
    await byTestId('example-name').fill('SMA cross e2e');
    await byTestId('example-create').click();
    const row = page.locator('[data-testid="strategy-row"][data-name="SMA cross e2e"]');
    await row.waitFor({ timeout: 15_000 });
    expect(await row.getAttribute('data-versions')).toBe('1');
    await byTestId('strategy-detail').waitFor();
    expect(page.url()).toMatch(/strategy=[0-9a-f-]{36}/);
  });

  it('runs a backtest on stored candles with a progress bar, then shows its metrics, notes, buy and hold and trades', async () => {
    await expect
      .poll(storedOneSecondCandles, { timeout: 90_000, interval: 2_000 })
      .toBeGreaterThanOrEqual(40);

    await byTestId('strategy-backtest-link').click();
    await page.waitForURL(/\/backtests/);
    await byTestId('backtest-run').waitFor({ timeout: 15_000 });
    // Defaults fit the data that exists: a few minutes of simulator data has too few 1m candles, so 1s.
    await expect.poll(() => byTestId('backtest-interval').inputValue(), { timeout: 10_000 }).toBe('1s');
    const stored = byTestId('backtest-stored');
    await stored.waitFor({ timeout: 10_000 });
    expect(Number(await stored.getAttribute('data-candles'))).toBeGreaterThanOrEqual(40);
    await byTestId('backtest-interval').selectOption('1s');
    await fillSmaParams();
    await byTestId('backtest-run').click();

    const progress = byTestId('backtest-progress');
    await progress.waitFor({ timeout: 15_000 });
    await expect.poll(() => progress.getAttribute('data-status'), { timeout: 60_000 }).toBe('completed');
    expect(await byTestId('backtest-status').textContent()).toBe('done');
    expect(await page.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');

    const metrics = byTestId('backtest-metrics');
    await metrics.waitFor({ timeout: 10_000 });
    expect(await byTestId('metric-totalReturn').textContent()).toMatch(/Total return[-+]?\d+\.\d{2}%/);
    expect(
      Number((await byTestId('metric-candles').textContent())?.replace(/\D/g, '')),
    ).toBeGreaterThanOrEqual(40);

    const equity = byTestId('backtest-equity-chart');
    expect(Number(await equity.getAttribute('data-points'))).toBeGreaterThan(0);
    await equity.locator('canvas').first().waitFor({ timeout: 15_000 });
    const box = await equity.locator('canvas').first().boundingBox();
    expect(box?.width ?? 0).toBeGreaterThan(100);

    // An honest report: a run of a minute or two is far too short to annualise, and says so.
    for (const key of ['sharpe', 'sortino', 'cagr']) {
      expect(await byTestId(`metric-${key}`).textContent()).toMatch(
        /n\/a — run too short \(\d+(\.\d+)? (s|min)[^)]*; annualised figures need ≥ 30 days\)/,
      );
    }
    const notes = byTestId('backtest-notes');
    await notes.waitFor();
    expect((await notes.getAttribute('data-codes'))?.split(' ')).toContain('RUN_TOO_SHORT');
    expect(
      await page.locator('[data-testid="backtest-note"][data-code="RUN_TOO_SHORT"]').textContent(),
    ).toMatch(/annualised figures need at least 30 days/);
    // The requested range against the candles used.
    const coverage = byTestId('backtest-coverage-row').first();
    expect(await coverage.textContent()).toMatch(/binance:BTC-USDT.*candles expected.*\d+ candles/);
    expect(await byTestId('backtest-warmup').textContent()).toMatch(
      /^(First order after \d+ candles?\.|No orders\.)$/,
    );

    // Buy and hold beside the equity curve, point for point, with its exact end value.
    expect(await equity.getAttribute('data-buy-and-hold-points')).toBe(
      await equity.getAttribute('data-points'),
    );
    expect(await byTestId('backtest-buy-and-hold-end').textContent()).toMatch(/^\d{1,3}(,\d{3})*\.\d{2}$/);

    // The per-trade table: round trips with prices at the tick (2 decimals for BTC-USDT), and totals that
    // are the exact sum of the rows.
    const trades = byTestId('backtest-trades');
    await trades.waitFor({ timeout: 10_000 });
    const rows = byTestId('backtest-trade-row');
    expect(await rows.count()).toBeGreaterThan(0);
    expect(await rows.first().getByTestId('trade-entry-price').textContent()).toMatch(
      /^\d{1,3}(,\d{3})*\.\d{2}$/,
    );
    const units18 = (d: string) => {
      const [i, f = ''] = d.replace('-', '').split('.');
      const units = BigInt(i ?? '0') * 10n ** 18n + BigInt(f.padEnd(18, '0'));
      return d.startsWith('-') ? -units : units;
    };
    let sum = 0n;
    for (const pnl of await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-pnl') ?? '0')))
      sum += units18(pnl);
    expect(sum).toBe(units18((await byTestId('backtest-trade-totals').getAttribute('data-pnl')) ?? ''));
    expect(Number(await trades.getAttribute('data-trips'))).toBe(await rows.count());

    const fills = byTestId('backtest-fills-chart');
    await expect.poll(() => fills.getAttribute('data-candles'), { timeout: 15_000 }).not.toBe('0');
    await fills.locator('canvas').first().waitFor({ timeout: 15_000 });
    await byTestId('backtest-row').first().waitFor();
    expect(await byTestId('backtest-row').first().getAttribute('data-status')).toBe('completed');
    await page.screenshot({ path: join(shots, 'backtest-completed.png'), fullPage: true });
  });

  it('deploys the strategy to the paper account and shows it running with its calls counting up', async () => {
    await byTestId('nav-strategies').click();
    await page.waitForURL(/\/strategies/);
    await byTestId('deploy-submit').waitFor({ timeout: 15_000 });
    await byTestId('deploy-account').selectOption({ label: 'Strategy paper' });
    await byTestId('deploy-interval').selectOption('1s');
    await fillSmaParams();
    await byTestId('deploy-submit').click();

    const row = byTestId('deployment-row').first();
    await row.waitFor({ timeout: 15_000 });
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 20_000 }).toBe('running');
    const calls = async () => Number(await row.getAttribute('data-calls'));
    await expect.poll(calls, { timeout: 20_000 }).toBeGreaterThan(0);
    const before = await calls();
    await expect.poll(calls, { timeout: 20_000 }).toBeGreaterThan(before);
    expect(await row.getByTestId('deployment-account-link').getAttribute('href')).toMatch(
      /^\/trade\?account=/,
    );
    await page.screenshot({ path: join(shots, 'strategy-running.png'), fullPage: true });
    // At 1440 px every control of the row is inside the Deployments panel (they were cut off).
    const panel = await byTestId('deployments').boundingBox();
    for (const id of ['deployment-pause', 'deployment-stop', 'deployment-redeploy']) {
      const box = await row.getByTestId(id).boundingBox();
      expect(box && panel && box.x + box.width <= panel.x + panel.width + 0.5).toBe(true);
    }
    // Its own PnL (only the orders it placed), with a fill count once it traded.
    const pnl = byTestId('deployment-pnl');
    await pnl.waitFor({ timeout: 15_000 });
    await expect
      .poll(async () => (await pnl.getAttribute('data-fills')) !== '', { timeout: 20_000 })
      .toBe(true);

    await row.getByTestId('deployment-pause').click();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 10_000 }).toBe('paused');
    await row.getByTestId('deployment-resume').click();
    await expect.poll(() => row.getAttribute('data-state'), { timeout: 10_000 }).toBe('running');
  });

  it('draws SMA and Bollinger over the Markets chart and RSI and MACD in panes below it', async () => {
    await byTestId('nav-markets').click();
    await page.waitForURL(/\/markets/);
    await byTestId('markets-interval').selectOption('1s');
    const chart = byTestId('markets-chart');
    await expect
      .poll(async () => Number(await chart.getAttribute('data-candles')), { timeout: 20_000 })
      .toBeGreaterThan(0);
    for (const kind of ['sma', 'bbands', 'rsi', 'macd']) await byTestId('overlay-add').selectOption(kind);
    expect(await chart.getAttribute('data-overlays')).toBe('sma bbands rsi macd');
    // A third pane would squeeze the candles: refused with the reason.
    await byTestId('overlay-add').selectOption('rsi');
    expect(await byTestId('overlay-problem').textContent()).toMatch(/panes/);

    const sma = page.locator('[data-testid="overlay-chip"][data-kind="sma"]');
    await sma.getByRole('button', { name: 'SMA 20', exact: true }).click();
    await byTestId('overlay-params').fill('1');
    await byTestId('overlay-params').press('Enter');
    expect(await byTestId('overlay-problem').textContent()).toMatch(/period must be an integer between 2/);
    await byTestId('overlay-params').fill('5');
    await byTestId('overlay-params').press('Enter');
    await sma.getByRole('button', { name: 'SMA 5', exact: true }).waitFor();
    await page.screenshot({ path: join(shots, 'markets-overlays.png') });

    // Kept across a reload (local storage), then removed.
    await page.reload();
    await expect
      .poll(() => chart.getAttribute('data-overlays'), { timeout: 20_000 })
      .toBe('sma bbands rsi macd');
    for (const kind of ['macd', 'rsi', 'bbands', 'sma'])
      await page
        .locator(`[data-testid="overlay-chip"][data-kind="${kind}"] button[aria-label^="Remove"]`)
        .click();
    expect(await chart.getAttribute('data-overlays')).toBe('');
  });

  it('refuses an uploaded module that imports WASI, with the reason, while the deployment keeps running', async () => {
    await byTestId('nav-strategies').click();
    await page.waitForURL(/\/strategies/);
    await byTestId('strategy-upload').click();
    await byTestId('upload-file').setInputFiles({
      name: 'escape.wasm',
      mimeType: 'application/wasm',
      buffer: moduleImportingFdWrite(),
    });
    await byTestId('upload-name').fill('Escape artist');
    await byTestId('upload-submit').click();

    const refusal = byTestId('upload-error');
    await refusal.waitFor({ timeout: 15_000 });
    expect(await refusal.getAttribute('data-code')).toBe('STRATEGY_INVALID_MODULE');
    const reason = (await byTestId('upload-error-message').textContent()) ?? '';
    expect(reason).toContain('wasi_snapshot_preview1.fd_write');
    await page.screenshot({ path: join(shots, 'strategy-upload-refused.png') });
    await page.keyboard.press('Escape');

    expect(await page.locator('[data-testid="strategy-row"][data-name="Escape artist"]').count()).toBe(0);
    const row = byTestId('deployment-row').first();
    expect(await row.getAttribute('data-state')).toBe('running');
    const before = Number(await row.getAttribute('data-calls'));
    await expect
      .poll(async () => Number(await row.getAttribute('data-calls')), { timeout: 20_000 })
      .toBeGreaterThan(before);
  });
});
