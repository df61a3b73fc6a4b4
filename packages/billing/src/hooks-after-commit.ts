import { type ApplyResult, storedPlanTier } from './apply-subscription.ts';
import type { BillingContext } from './context.ts';

/**
 * Tells the engine what changed, after the commit. A failing hook is logged, not thrown: the new state is
 * stored and the next reconciliation calls the hook again (the stored tier still differs then).
 */
export async function callHooks(ctx: BillingContext, result: ApplyResult): Promise<void> {
  if (result.tierChange) {
    const { tenantId } = result.tierChange;
    // Hooks of two commits of one tenant can run in either order; the tier handed over is the one the
    // committed subscriptions grant now, so a late hook never applies a tier a later commit replaced.
    let tier = result.tierChange.tier;
    try {
      tier = await storedPlanTier(ctx.db, tenantId);
    } catch (err) {
      ctx.logger.warn({ tenantId, err }, 'billing: re-reading the tier failed; applying the committed one');
    }
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
