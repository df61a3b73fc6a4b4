import type { Ctx } from '../context.ts';
import { completeOnboarding, linksOf, type OnboardingLink } from '../resources/connect.ts';
import { esc, page } from './html.ts';
import type { PageHandler, PageResult } from './routes.ts';

function usable(ctx: Ctx, token: string | undefined): OnboardingLink | undefined {
  const link = linksOf(ctx).get(token ?? '');
  if (!link || link.used || link.expiresAt < ctx.wallSeconds()) return undefined;
  return link;
}

/**
 * The Express onboarding page. As on Stripe a link works once: opening it again (or after it expired)
 * redirects to `refresh_url`, where the platform makes a new link. `return_url` does not mean onboarding
 * finished: "Finish later" returns without completing, so platforms must check the account.
 */
export const showOnboarding: PageHandler = (ctx, _form, [token]) => {
  const link = usable(ctx, token);
  const known = linksOf(ctx).get(token ?? '');
  if (!link || link.visited) {
    if (known) known.used = true;
    return known
      ? { redirect: known.refreshUrl }
      : { status: 404, html: page('Not found', '<h1>Unknown link</h1>') };
  }
  link.visited = true;
  const account = ctx.store.get('account', link.account);
  const action = `/connect/onboard/${esc(token)}`;
  return {
    html: page(
      'Onboarding',
      `<h1>Set up payouts</h1><p>Express account ${esc(account.id)} ${esc(account.email ?? '')}</p>
<form method="post" action="${action}"><input type="hidden" name="action" value="complete"><button type="submit" data-testid="complete">Agree and submit</button></form>
<form method="post" action="${action}"><input type="hidden" name="action" value="later"><button class="secondary" type="submit">Finish later</button></form>`,
    ),
  };
};

export const submitOnboarding: PageHandler = (ctx, form, [token]): PageResult => {
  const link = usable(ctx, token);
  if (!link?.visited) {
    const known = linksOf(ctx).get(token ?? '');
    return known
      ? { redirect: known.refreshUrl }
      : { status: 404, html: page('Not found', '<h1>Unknown link</h1>') };
  }
  link.used = true;
  if (form.get('action') === 'complete') completeOnboarding(ctx, ctx.store.get('account', link.account));
  return { redirect: link.returnUrl };
};
