import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TIER_RATES } from '@qt/shared';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEngine, type TestEngine } from '../apps/engine/test/support/test-engine.ts';
import { launchBrowser } from './support/browser.ts';
import { freePort } from './support/free-port.ts';
import { signUpInBrowser } from './support/sign-up.ts';
import { startWebApp, type WebApp } from './support/web-app.ts';

const root = resolve(import.meta.dirname, '..');
const shots = join(root, 'test-results');

let engine: TestEngine;
let web: WebApp;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  const port = await freePort();
  engine = await startTestEngine({
    webOrigins: [`http://127.0.0.1:${port}`, `http://localhost:${port}`],
    webPublicUrl: `http://127.0.0.1:${port}`,
    // The limiter is what this file is about; usage is written every second so the page sees it soon.
    rateLimits: true,
    usageFlushMs: 1_000,
  });
  web = await startWebApp({ port, engineUrl: engine.engine.server.url, sessionSecret: engine.sessionSecret });
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  mkdirSync(shots, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await web?.stop();
  await engine?.stop();
});

describe('a FREE tenant, in the browser', () => {
  const email = `usage-${Date.now()}@example.test`;

  it('sees its usage today against the FREE plan, and the plans page from the tier table', async () => {
    await signUpInBrowser(page, web.url, engine.outboxDir, {
      name: 'Uma Usage',
      email,
      password: 'usage horse battery',
    });
    await page.getByTestId('nav-usage').click();
    await page.waitForURL(/\/usage$/, { timeout: 30_000 });
    await expect
      .poll(() => page.getByTestId('usage-tier').textContent(), { timeout: 30_000 })
      .toContain('FREE');
    // The dashboard's own calls are metered: at least the ones that drew this page.
    await expect
      .poll(
        async () =>
          Number(((await page.getByTestId('usage-requests-used').textContent()) ?? '0').replace(/,/g, '')),
        {
          timeout: 30_000,
        },
      )
      .toBeGreaterThan(0);
    await page.getByTestId('usage-history-chart').locator('canvas').first().waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('usage-limit-banner').count()).toBe(0);
    await page.screenshot({ path: join(shots, 'usage.png') });

    await page.goto(`${web.url}/pricing`);
    const table = page.getByTestId('pricing-table');
    await table.waitFor({ timeout: 30_000 });
    const text = (await table.textContent()) ?? '';
    expect(text).toContain('ENTERPRISE');
    expect(text).toContain(`${TIER_RATES.PRO.perKey.limit.toLocaleString('en-US')} / min`);
  });

  it('after a script of the tenant hits the rate limit, the page says so with the upgrade hint', async () => {
    // A script with an API key of this tenant (created through the API, as from Settings).
    const db = engine.engine.api.db;
    const user = await db.user.findUniqueOrThrow({ where: { email }, include: { memberships: true } });
    const tenantId = user.memberships[0]?.tenantId as string;
    const token = await engine.sessionToken(user.id, tenantId);
    const { secret } = await engine.client(token).apiKeys.create.mutate({ name: 'bot', scopes: ['read'] });
    let refused: Response | null = null;
    for (let i = 0; i < 500 && !refused; i++) {
      const res = await fetch(`${engine.url}/accounts.tenant`, {
        headers: { authorization: `Bearer ${secret}` },
      });
      await res.arrayBuffer();
      if (res.status === 429) refused = res;
    }
    expect(refused?.headers.get('retry-after')).toBe('1');

    await page.goto(`${web.url}/usage`);
    const banner = page.getByTestId('usage-limit-banner');
    await banner.waitFor({ timeout: 30_000 });
    const said = (await banner.textContent()) ?? '';
    expect(said).toMatch(/FREE plan reached its request rate/);
    expect(said).toContain(
      `The PRO plan allows ${TIER_RATES.PRO.perKey.limit.toLocaleString('en-US')} requests per minute per key`,
    );
    await page.screenshot({ path: join(shots, 'usage-rate-limited.png') });
  });
});
