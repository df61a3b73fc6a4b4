import type { Tier } from '../accounts/roles.ts';

/**
 * Who is asking: every call the API makes into the engine's services is scoped to the caller's tenant,
 * taken from the credential (never from input), and every id is checked against it.
 */
export interface TenantScope {
  tenantId: string;
  /** For audit (kill switch, limits): the person or key acting. */
  actor: string;
}

/** The strategy calls carry the tenant's tier: it sets module size, memory and time caps. */
export interface StrategyScope extends TenantScope {
  tier: Tier;
}

/** Alert calls carry the tenant's tier (active alerts are a tier cap). */
export interface AlertScope extends TenantScope {
  tier: Tier;
}

/** Billing calls carry the tenant's tier and the person acting (Checkout prefills their email). */
export interface BillingScope extends TenantScope {
  tier: Tier;
  tenantName: string;
  userId: string | null;
}

/** Marketplace calls act for the caller's tenant (buyer or seller) and person. */
export type MarketplaceScope = BillingScope;

/** Who asks for history: a tenant (its jobs and its tier's history depth). */
export interface HistoryScope {
  tenantId: string;
  /** How far back (days before now) the tenant's tier may reach. */
  historyDays: number;
}

/** One page of a list; `next` is the cursor of the following page (null at the end). */
export interface Page<T> {
  items: T[];
  next: string | null;
}
