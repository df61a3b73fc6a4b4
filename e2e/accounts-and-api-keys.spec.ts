import { execFile } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { linkIn, waitForOutboxMail } from '@qt/notify/testing';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../apps/engine/test/support/test-engine.ts';
import { launchBrowser } from './support/browser.ts';
import { freePort } from './support/free-port.ts';
import { startWebApp, type WebApp } from './support/web-app.ts';

const root = resolve(import.meta.dirname, '..');
const shots = join(root, 'test-results');
const run = promisify(execFile);

let engine: TestEngine;
let web: WebApp;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const port = await freePort();
  engine = await startTestEngine({
    webOrigins: [`http://127.0.0.1:${port}`, `http://localhost:${port}`],
    webPublicUrl: `http://127.0.0.1:${port}`,
  });
  web = await startWebApp({ port, engineUrl: engine.engine.server.url, sessionSecret: engine.sessionSecret });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on('dialog', (d) => void d.accept());
  mkdirSync(shots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await engine?.stop();
});

/** The repository's own script example, run as a user would, with the key in its environment. */
async function runExample(apiKey: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(
      join(root, 'node_modules/.bin/tsx'),
      ['examples/api-key-client.ts'],
      {
        cwd: root,
        env: { ...process.env, QT_API_KEY: apiKey, ENGINE_URL: engine.engine.server.url },
        timeout: 30_000,
      },
    );
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('a new user, in the browser', () => {
  const email = `e2e-${Date.now()}@example.test`;
  const password = 'correct horse battery staple';
  const newPassword = 'a different horse, a new battery';

  it('signs up, is told to check their email, cannot sign in before confirming, gets a new link and confirms', async () => {
    await page.goto(`${web.url}/signup`);
    await page.getByTestId('signup-name').fill('Erin Example');
    await page.getByTestId('signup-email').fill(email);
    await page.getByTestId('signup-password').fill(password);
    await page.getByTestId('signup-submit').click();
    await page.getByTestId('check-email').waitFor({ timeout: 30_000 });
    const first = await waitForOutboxMail(engine.outboxDir, email, { subject: /confirm your email/i });
    expect(linkIn(first).startsWith(`${web.url}/verify-email?token=`)).toBe(true);

    await page.goto(`${web.url}/signin`);
    await page.getByTestId('signin-email').fill(email);
    await page.getByTestId('signin-password').fill(password);
    await page.getByTestId('signin-submit').click();
    await expect
      .poll(() => page.getByTestId('form-error').textContent(), { timeout: 15_000 })
      .toMatch(/confirm your email/i);
    await page.getByTestId('signin-resend-verification').click();
    await page.getByTestId('check-email').waitFor({ timeout: 15_000 });
    const second = await waitForOutboxMail(engine.outboxDir, email, {
      subject: /confirm your email/i,
      exclude: new Set([first.file]),
    });
    await page.screenshot({ path: join(shots, 'signin-unverified.png') });

    // The first link was replaced by the second.
    await page.goto(linkIn(first));
    await page.getByTestId('verify-email-confirm').click();
    await expect
      .poll(() => page.getByTestId('form-error').textContent(), { timeout: 15_000 })
      .toMatch(/invalid or has expired/i);
    await page.goto(linkIn(second));
    await page.getByTestId('verify-email-confirm').click();
    await page.getByTestId('verify-email-signin').click();
    await page.waitForURL(/\/signin/, { timeout: 15_000 });
    await page.getByTestId('signin-email').fill(email);
    await page.getByTestId('signin-password').fill(password);
    await page.getByTestId('signin-submit').click();
    await page.waitForURL(`${web.url}/`, { timeout: 30_000 });
    await expect.poll(() => page.getByTestId('tenant-name').first().textContent()).toContain('workspace');
    await expect.poll(() => page.getByTestId('tenant-tier').first().textContent()).toContain('FREE');
    await page.screenshot({ path: join(shots, 'overview.png') });
  });

  it('signs out, is sent to sign-in from an app page, and signs back in', async () => {
    await page.getByTestId('signout').click();
    await page.waitForURL(/\/signin/, { timeout: 15_000 });
    await page.goto(`${web.url}/settings`);
    await page.waitForURL(/\/signin/, { timeout: 15_000 });
    await page.getByTestId('signin-email').fill(email);
    await page.getByTestId('signin-password').fill('wrong password');
    await page.getByTestId('signin-submit').click();
    await expect
      .poll(() => page.getByTestId('form-error').textContent(), { timeout: 15_000 })
      .toMatch(/wrong email or password/i);
    await page.getByTestId('signin-password').fill(password);
    await page.getByTestId('signin-submit').click();
    await page.waitForURL((u) => !u.pathname.startsWith('/signin'), { timeout: 30_000 });
  });

  it('creates an API key, uses it from the script example, revokes it and sees the script refused', async () => {
    await page.goto(`${web.url}/settings`);
    await page.getByTestId('apikey-name').fill('my bot');
    await page.getByTestId('apikey-scope-read').check();
    await page.getByTestId('apikey-create').click();
    const secretEl = page.getByTestId('apikey-secret');
    await secretEl.waitFor({ timeout: 15_000 });
    const secret = ((await secretEl.textContent()) ?? '').trim();
    expect(secret).toMatch(/^qt_[0-9A-Za-z]{12}_[0-9A-Za-z]{32}$/);
    const prefix = secret.split('_')[1] as string;
    const row = page.getByTestId(`apikey-row-${prefix}`);
    await row.waitFor({ timeout: 15_000 });
    await page.screenshot({ path: join(shots, 'settings-key-created.png') });

    const ok = await runExample(secret);
    expect(ok.out).toContain('"scopes":["read"]');
    expect(ok.code).toBe(0);

    await row.getByTestId('apikey-revoke').click();
    const confirm = page.getByTestId('apikey-revoke-confirm');
    if (await confirm.isVisible().catch(() => false)) await confirm.click();
    await expect
      .poll(() => row.getByTestId('apikey-status').textContent(), { timeout: 15_000 })
      .toMatch(/revoked/i);
    await page.screenshot({ path: join(shots, 'settings-key-revoked.png') });

    const refused = await runExample(secret);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('AUTH_API_KEY_REVOKED');
  });

  it('resets a forgotten password with the emailed link and signs in with the new one', async () => {
    await page.getByTestId('signout').click();
    await page.waitForURL(/\/signin/, { timeout: 15_000 });
    await page.getByTestId('forgot-password').click();
    await page.waitForURL(/\/reset-password/, { timeout: 15_000 });
    await page.getByTestId('reset-email').fill(email);
    await page.getByTestId('reset-request-submit').click();
    await page.getByTestId('check-email').waitFor({ timeout: 15_000 });
    const mail = await waitForOutboxMail(engine.outboxDir, email, { subject: /reset your/i });
    await page.goto(linkIn(mail));
    await page.getByTestId('reset-password').fill(newPassword);
    await page.getByTestId('reset-submit').click();
    await page.getByTestId('reset-done').waitFor({ timeout: 15_000 });

    await page.goto(`${web.url}/signin`);
    await page.getByTestId('signin-email').fill(email);
    await page.getByTestId('signin-password').fill(newPassword);
    await page.getByTestId('signin-submit').click();
    await page.waitForURL((u) => !u.pathname.startsWith('/signin'), { timeout: 30_000 });
  });
});
