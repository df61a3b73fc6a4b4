import type { BillingContext } from './context.ts';
import { stripeCall } from './stripe-call.ts';

/** An open Checkout Session for the same tenant and target is handed out again for this long. */
export const CHECKOUT_REUSE_MS = 30 * 60_000;
/** Open sessions of one customer read (one page); a customer has a handful at most. */
const MAX_OPEN_SESSIONS = 100;

/**
 * The page of an open Checkout Session of `customer` whose metadata matches `key` (tenant, target and
 * price), created within the last 30 minutes; null when there is none. Clicking "subscribe" twice (two
 * tabs, a double click) then leads to one page, and paying both, which would charge twice, is not
 * possible. Older matching sessions are expired for the same reason. Stripe keeps the sessions: nothing
 * is stored here.
 */
export async function reuseOpenCheckout(
  ctx: BillingContext,
  customer: string,
  key: Record<string, string>,
): Promise<string | null> {
  const open = await stripeCall('reading open checkouts', () =>
    ctx.stripe.checkout.sessions.list({ customer, status: 'open', limit: MAX_OPEN_SESSIONS }),
  );
  const since = Math.floor((ctx.clock.now() - CHECKOUT_REUSE_MS) / 1000);
  const matching = open.data
    .filter((s) => Object.entries(key).every(([k, v]) => s.metadata?.[k] === v))
    .sort((a, b) => b.created - a.created);
  let reuse: string | null = null;
  for (const s of matching) {
    if (reuse === null && s.created >= since && s.url) {
      reuse = s.url;
      continue;
    }
    await stripeCall('expiring an old checkout', () => ctx.stripe.checkout.sessions.expire(s.id)).catch(
      (err: unknown) => {
        // Completed meanwhile or already expired: nothing left to prevent.
        ctx.logger.debug({ session: s.id, err: String(err) }, 'billing: old checkout not expired');
      },
    );
  }
  return reuse;
}
