import type { MarketplaceBilling } from '@qt/billing';
import type { Db } from '@qt/db';
import type { Clock } from '@qt/shared';
import type { MarketplaceStrategies } from './marketplace-strategies.ts';

type LogFn = (obj: Record<string, unknown>, msg?: string) => void;
export interface MarketplaceLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

/** What every part of the marketplace works with (built once by createMarketplace). */
export interface MarketplaceDeps {
  db: Db;
  clock: Clock;
  logger: MarketplaceLogger;
  billing: MarketplaceBilling;
  strategies: MarketplaceStrategies;
  /** Verification window in days (default 30) and the fewest candles it needs (default 100). */
  windowDays: number;
  minCandles: number;
  /** A search's statement timeout (ms, default 1,500). */
  searchTimeoutMs: number;
  /** Told when a free listing's access starts or ends (paid ones are told by billing's webhooks). */
  onListingAccess?: ListingAccessHook;
}

export type ListingAccessHook = (change: {
  tenantId: string;
  listingId: string;
  access: 'active' | 'ended';
}) => Promise<void>;

/** Runs the hook after the change committed; a failure is logged (the entitlement is already stored). */
export async function tellListingAccess(
  deps: MarketplaceDeps,
  change: Parameters<ListingAccessHook>[0],
): Promise<void> {
  if (!deps.onListingAccess) return;
  try {
    await deps.onListingAccess(change);
  } catch (err) {
    deps.logger.warn(
      { ...change, err: err instanceof Error ? err.message : String(err) },
      'listing access hook failed',
    );
  }
}
