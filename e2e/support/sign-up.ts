import { linkIn, waitForOutboxMail } from '@qt/notify/testing';
import type { Page } from 'playwright-core';

/**
 * Signs a fresh person up the way a person does: the sign-up form, the confirmation link from the email
 * (the engine's outbox folder: no SMTP in these tests), then sign-in; waits for the app shell. The engine
 * must have `webPublicUrl` set to the web app's URL, as a deployment does, so the emailed link is followed
 * unchanged.
 */
export async function signUpInBrowser(
  page: Page,
  webUrl: string,
  outboxDir: string,
  person: { name: string; email: string; password: string },
): Promise<void> {
  await page.goto(`${webUrl}/signup`);
  await page.getByTestId('signup-name').fill(person.name);
  await page.getByTestId('signup-email').fill(person.email);
  await page.getByTestId('signup-password').fill(person.password);
  await page.getByTestId('signup-submit').click();
  await page.getByTestId('check-email').waitFor({ timeout: 30_000 });

  const mail = await waitForOutboxMail(outboxDir, person.email, {
    subject: /confirm your email/i,
    timeoutMs: 30_000,
  });
  await page.goto(linkIn(mail));
  await page.getByTestId('verify-email-confirm').click();
  await page.getByTestId('verify-email-signin').click();
  await page.waitForURL(/\/signin/, { timeout: 30_000 });
  await page.getByTestId('signin-email').fill(person.email);
  await page.getByTestId('signin-password').fill(person.password);
  await page.getByTestId('signin-submit').click();
  await page.waitForURL(`${webUrl}/`, { timeout: 30_000 });
}
