import type { Page } from 'playwright-core';

/** Signs a fresh person up through the dashboard's form and waits for the app shell. */
export async function signUpInBrowser(
  page: Page,
  webUrl: string,
  person: { name: string; email: string; password: string },
): Promise<void> {
  await page.goto(`${webUrl}/signup`);
  await page.getByTestId('signup-name').fill(person.name);
  await page.getByTestId('signup-email').fill(person.email);
  await page.getByTestId('signup-password').fill(person.password);
  await page.getByTestId('signup-submit').click();
  await page.waitForURL(`${webUrl}/`, { timeout: 30_000 });
}
