import type { Tier } from '@qt/shared';

/**
 * What billing asks of the rest of the engine when Stripe's state changes (wired by the engine). Called
 * after the transaction that recorded the change committed; a failure is logged and repaired by the next
 * reconciliation (the tier and the access are already stored).
 */
export interface BillingHooks {
  /** The tenant's plan tier changed (setTenantTier: every engine within a second). */
  applyTier(tenantId: string, tier: Tier): Promise<void>;
  /**
   * A buyer's access to a listing changed: `ended` pauses the tenant's deployments of the listing with
   * reason `SUBSCRIPTION_ENDED: ...`; `active` resumes those paused for that reason.
   */
  listingAccessChanged(change: {
    tenantId: string;
    listingId: string;
    access: 'active' | 'ended';
  }): Promise<void>;
}
