import type { ApplyResult } from './apply-subscription.ts';
import type { BillingContext } from './context.ts';

/**
 * Tells the engine what changed, after the commit. A failing hook is logged, not thrown: the new state is
 * stored and the next reconciliation calls the hook again (the stored tier still differs then).
 */
export async function callHooks(ctx: BillingContext, result: ApplyResult): Promise<void> {
  if (result.tierChange) {
    const { tenantId, tier } = result.tierChange;
    try {
      await ctx.hooks.applyTier(tenantId, tier);
      ctx.logger.info({ tenantId, tier }, 'billing: plan tier changed');
    } catch (err) {
      ctx.logger.error({ tenantId, tier, err }, 'billing: applying the tier failed; reconciliation retries');
    }
  }
  if (result.listingChange) {
    try {
      await ctx.hooks.listingAccessChanged(result.listingChange);
    } catch (err) {
      ctx.logger.error({ ...result.listingChange, err }, 'billing: listing access hook failed');
    }
  }
}
