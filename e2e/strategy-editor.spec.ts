import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { examplesDir } from '@qt/strategy-sdk';
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
let example: string;

beforeAll(async () => {
  mkdirSync(shots, { recursive: true });
  example = await readFile(join(examplesDir, 'sma-crossover.ts'), 'utf8');
  browser = await launchBrowser();
  const port = await freePort();
  engine = await startTestEngine({
    webOrigins: [`http://127.0.0.1:${port}`, `http://localhost:${port}`],
    webPublicUrl: `http://127.0.0.1:${port}`,
    marketSource: 'simulator',
    simulatorTradesPerSecond: 100,
  });
  web = await startWebApp({ port, engineUrl: engine.engine.server.url, sessionSecret: engine.sessionSecret });
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  await signUpInBrowser(page, web.url, engine.outboxDir, {
    name: 'Edda Editor',
    email: `editor-${Date.now()}@example.test`,
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

/** Waits for a compile's outcome; on a timeout the message says what the page showed instead. */
async function compiled(expected: 'true' | 'false') {
  const deadline = Date.now() + 150_000;
  while (Date.now() < deadline) {
    if ((await byTestId('editor-status').getAttribute('data-ok')) === expected) return;
    await page.waitForTimeout(250);
  }
  const status = await byTestId('editor-status').textContent();
  const error = (await byTestId('editor-error').count()) ? await byTestId('editor-error').textContent() : '';
  await page.screenshot({ path: join(shots, `strategy-editor-timeout-${expected}.png`) });
  throw new Error(`no compile outcome ${expected}: status "${status}", error "${error}"`);
}

/** Replaces the editor's whole text (typed as one insertion, as a paste would). */
async function replaceText(text: string) {
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
}

describe('the browser strategy editor', () => {
  it('opens an example, marks a compile error at its line, saves a fixed version and backtests it in one click', async () => {
    await byTestId('nav-strategies').click();
    await page.waitForURL(/\/strategies/);
    await byTestId('strategy-new-example').click();
    await byTestId('example-select').selectOption('sma-crossover');
    await byTestId('example-name').fill('Edited in the browser');
    await byTestId('example-create').click();
    await byTestId('strategy-detail').waitFor({ timeout: 15_000 });
    await byTestId('strategy-edit-link').click();
    await page.waitForURL(/\/strategies\/[0-9a-f-]{36}\/edit/);
    await byTestId('strategy-editor').waitFor({ timeout: 15_000 });
    // The example's own source is what opens.
    await expect
      .poll(async () => (await page.locator('.cm-content').textContent()) ?? '', { timeout: 10_000 })
      .toContain('RollingMean');

    // An unknown name on a known line: the compile marks that line.
    const lines = example.split('\n');
    const at = lines.findIndex(
      (l) => /\bbuy\(/.test(l) && !l.includes('import') && !l.trim().startsWith('//'),
    );
    lines[at] = (lines[at] as string).replace(/\bbuy\(/, 'buyy(');
    await replaceText(lines.join('\n'));
    await byTestId('editor-compile').click();
    await compiled('false');
    const row = page.locator('[data-testid="editor-problem-row"]').first();
    expect(await row.getAttribute('data-line')).toBe(String(at + 1));
    expect((await row.textContent()) ?? '').toMatch(/buyy/);
    await page.locator('.cm-lintRange-error').first().waitFor({ timeout: 5_000 });
    await page.screenshot({ path: join(shots, 'strategy-editor-error.png') });

    // Fixed and saved: version 2, made in the editor.
    await replaceText(example.replace('// Moving-average crossover', '// Edited: moving-average crossover'));
    await byTestId('editor-compile').click();
    await compiled('true');
    expect(await page.locator('.cm-lintRange-error').count()).toBe(0);
    await byTestId('editor-save').click();
    await expect
      .poll(async () => byTestId('strategy-editor').getAttribute('data-version'), { timeout: 120_000 })
      .toBe('2');

    // One click: a backtest of v2 on the stored candles, and the report page follows.
    await expect.poll(async () => byTestId('editor-backtest').isEnabled(), { timeout: 90_000 }).toBe(true);
    await byTestId('editor-backtest').click();
    await page.waitForURL(/\/backtests\?strategy=[0-9a-f-]{36}&backtest=[0-9a-f-]{36}/, { timeout: 60_000 });
  }, 420_000);

  it('fits a phone: no sideways scroll, the editor and its buttons are reachable', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    try {
      await page.goto(`${web.url}/strategies`);
      await byTestId('strategy-edit-link').first().click();
      await byTestId('strategy-editor').waitFor({ timeout: 15_000 });
      // A string: the browser's globals are not in this (Node) project's types.
      const overflow = Number(
        await page.evaluate('document.documentElement.scrollWidth - window.innerWidth'),
      );
      expect(overflow).toBeLessThanOrEqual(0);
      expect(await byTestId('editor-compile').isVisible()).toBe(true);
      await page.screenshot({ path: join(shots, 'strategy-editor-phone.png') });
    } finally {
      await page.setViewportSize({ width: 1440, height: 900 });
    }
  }, 120_000);
});
