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

/** An iPhone 12-15 sized screen: the one the issue was judged at. */
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
    simulatorTradesPerSecond: 50,
  });
  web = await startWebApp({ port, engineUrl: engine.engine.server.url, sessionSecret: engine.sessionSecret });
  page = await browser.newPage({ viewport: phone, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  await signUpInBrowser(page, web.url, engine.outboxDir, {
    name: 'Pia Phone',
    email: `phone-${Date.now()}@example.test`,
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

/**
 * Whether the page scrolls sideways, and if so the elements that stick out (a table scrolls inside its
 * own box, so what is inside an `overflow-x-auto` box does not count; the box itself does).
 */
async function sidewaysOverflow(): Promise<{ extra: number; offenders: string[] }> {
  return page.evaluate(`(() => {
    const root = document.documentElement;
    const offenders = [...document.querySelectorAll('body *')]
      .filter((e) => e.getBoundingClientRect().right > root.clientWidth + 1)
      .filter((e) => {
        for (let p = e.parentElement; p; p = p.parentElement) {
          const s = getComputedStyle(p);
          if (s.overflowX === 'auto' || s.overflowX === 'scroll' || s.overflowX === 'hidden' || s.overflowX === 'clip') return false;
        }
        return true;
      })
      .slice(0, 8)
      .map((e) => e.tagName + '[' + (e.getAttribute('data-testid') || String(e.className).slice(0, 50)) + '] right=' + Math.round(e.getBoundingClientRect().right));
    return { extra: root.scrollWidth - window.innerWidth, offenders };
  })()`);
}

/** Scrolls the control into view and says what a tap at its centre would hit, if not the control itself. */
async function tapTarget(testId: string): Promise<string> {
  const el = byTestId(testId);
  await el.waitFor({ state: 'visible', timeout: 15_000 });
  await el.scrollIntoViewIfNeeded();
  return page.evaluate(`(() => {
    const e = document.querySelector('[data-testid="${testId}"]');
    const r = e.getBoundingClientRect();
    const x = r.left + r.width / 2;
    const y = r.top + r.height / 2;
    if (x < 0 || x > window.innerWidth || y < 0 || y > window.innerHeight) return 'off screen at ' + x + ',' + y;
    if (r.width < 24 || r.height < 24) return 'too small: ' + Math.round(r.width) + 'x' + Math.round(r.height);
    const hit = document.elementFromPoint(x, y);
    if (hit && (hit === e || e.contains(hit))) return 'ok';
    return 'covered by ' + (hit ? hit.tagName + '.' + String(hit.className).slice(0, 60) : 'nothing');
  })()`);
}

async function open(path: string, ready: string): Promise<void> {
  await page.goto(`${web.url}${path}`);
  await byTestId(ready).waitFor({ timeout: 20_000 });
}

async function expectFits(name: string, controls: readonly string[]): Promise<void> {
  const overflow = await sidewaysOverflow();
  expect(overflow, `${name} scrolls sideways`).toEqual({ extra: 0, offenders: [] });
  for (const id of controls) expect(`${id}: ${await tapTarget(id)}`).toBe(`${id}: ok`);
  // Once every control has been scrolled to, the page still does not scroll sideways.
  expect((await sidewaysOverflow()).extra).toBeLessThanOrEqual(0);
  await page.screenshot({ path: join(shots, `phone-${name}.png`), fullPage: true });
}

describe('every screen on a 390x844 phone', () => {
  it('Overview: the navigation scrolls inside its own bar, the page does not', async () => {
    await open('/', 'nav-overview');
    await expectFits('overview', ['nav-overview', 'nav-markets', 'signout']);
    // The navigation's later items are reached by scrolling the bar itself.
    await expectFits('overview-nav', ['nav-settings']);
  });

  it('Markets: pickers tappable, simulated data marked as such, never as live', async () => {
    await open('/markets', 'markets-venue');
    await byTestId('simulated-data').waitFor({ timeout: 20_000 });
    await expect.poll(() => byTestId('markets-live').textContent(), { timeout: 20_000 }).toBe('Simulated');
    await expectFits('markets', ['markets-venue', 'markets-symbol-search', 'markets-interval']);
  });

  it('Trade: create and fund an account, then Buy and Sell are tappable, not under the chart', async () => {
    await open('/trade', 'trade-onboarding');
    await byTestId('account-name').fill('Phone paper');
    await byTestId('account-create').tap();
    await byTestId('account-picker').waitFor({ timeout: 15_000 });
    await expect
      .poll(async () => Number(await byTestId('balance-row-USDT').getAttribute('data-free')), {
        timeout: 15_000,
      })
      .toBe(10_000);
    // Let the chart draw its axes and zoom slider before checking what they cover.
    await expect
      .poll(async () => Number(await byTestId('markets-chart').getAttribute('data-candles')), {
        timeout: 20_000,
      })
      .toBeGreaterThan(0);
    for (const type of ['limit', 'market'] as const) {
      await byTestId('ticket-type').selectOption(type);
      await expectFits(`trade-${type}`, ['ticket-side-buy', 'ticket-side-sell', 'ticket-submit']);
    }
    // The chart stays inside its card, and the card ends above the order ticket.
    const chart = await byTestId('markets-chart').boundingBox();
    const card = await page
      .locator('section', { has: byTestId('markets-chart') })
      .first()
      .boundingBox();
    const sell = await byTestId('ticket-side-sell').boundingBox();
    expect(chart && card && sell).toBeTruthy();
    if (!chart || !card || !sell) return;
    expect(chart.y + chart.height).toBeLessThanOrEqual(card.y + card.height + 1);
    expect(card.y + card.height).toBeLessThanOrEqual(sell.y);
    await byTestId('ticket-side-sell').tap();
    expect(await byTestId('ticket-side-sell').getAttribute('aria-pressed')).toBe('true');
  });

  it('Strategies', async () => {
    await open('/strategies', 'nav-strategies');
    await page.waitForLoadState('networkidle');
    await expectFits('strategies', ['strategy-new-example', 'strategy-upload']);
  });

  it('Backtests', async () => {
    await open('/backtests', 'nav-backtests');
    await page.waitForLoadState('networkidle');
    await expectFits('backtests', ['nav-backtests']);
  });

  it('Settings', async () => {
    await open('/settings', 'apikey-name');
    await expectFits('settings', ['tenant-name-input', 'apikey-name', 'apikey-create']);
  });

  it('Billing', async () => {
    await open('/billing', 'billing-tier');
    await expectFits('billing', ['upgrade-pro-button']);
  });

  it('Marketplace', async () => {
    await open('/marketplace', 'marketplace-q');
    await expectFits('marketplace', ['marketplace-q', 'marketplace-search']);
  });

  it('an unknown address gets the styled 404 page, with a way back', async () => {
    const res = await page.goto(`${web.url}/no-such-page`);
    expect(res?.status()).toBe(404);
    await byTestId('not-found').waitFor({ timeout: 10_000 });
    await expectFits('not-found', []);
    await page.getByRole('link', { name: 'Go to the overview' }).tap();
    await page.waitForURL(`${web.url}/`);
  });
});
