import { withinTierCap } from '@qt/api';
import type { Db } from '@qt/db';
import { AppError, type FollowInput, type FollowResult } from '@qt/shared';
import type { Logger } from '../../observability/logger.ts';
import type { InstrumentCatalog } from '../instruments/instrument-catalog.ts';

export interface FollowedMarket {
  venue: string;
  symbol: string;
  /** True for `MARKET_SYMBOLS`, false for markets added with `market.follow`. */
  configured: boolean;
}

const keyOf = (venue: string, symbol: string) => `${venue}:${symbol}`;

/**
 * Which markets the engine follows: `MARKET_SYMBOLS` on every venue that lists them, plus the markets
 * tenants added (`followed_markets`, loaded at start). Adding one is checked against the venue's
 * instrument list the engine loaded (a symbol the venue does not list would be acknowledged and stay
 * silent for ever on Binance), the engine-wide cap (`MARKET_FOLLOW_MAX`: every market costs subscriptions,
 * a candle series in memory and storage) and the tenant's tier cap (counted and inserted under the cap
 * lock, so concurrent calls cannot all pass). The row is stored before the feeds subscribe: a crash in
 * between follows it at the next start. A tenant that already holds the row (stored by another engine,
 * or skipped by this one at load) is not charged again; the market is subscribed all the same. A market
 * this engine already follows (configured, or another tenant's) stores no row for the caller.
 */
export class FollowService {
  readonly #db: Db;
  readonly #catalog: InstrumentCatalog;
  readonly #venues: ReadonlySet<string>;
  readonly #maxExtra: number;
  readonly #logger: Logger;
  readonly #apply: (venue: string, symbol: string) => Promise<void>;
  readonly #followed = new Map<string, FollowedMarket>();
  /** Follows past the checks and not yet applied: counted against the engine cap, joined by duplicates. */
  readonly #inFlight = new Map<string, Promise<FollowResult>>();
  #extra = 0;

  constructor(deps: {
    db: Db;
    catalog: InstrumentCatalog;
    venues: readonly string[];
    /** `MARKET_SYMBOLS`. */
    configured: readonly string[];
    maxExtra: number;
    logger: Logger;
    /** Subscribes the feeds and starts the market's 24h window. */
    apply: (venue: string, symbol: string) => Promise<void>;
  }) {
    this.#db = deps.db;
    this.#catalog = deps.catalog;
    this.#venues = new Set(deps.venues);
    this.#maxExtra = deps.maxExtra;
    this.#logger = deps.logger;
    this.#apply = deps.apply;
    for (const venue of deps.venues)
      for (const symbol of deps.configured)
        if (this.#listed(venue, symbol))
          this.#followed.set(keyOf(venue, symbol), { venue, symbol, configured: true });
  }

  /**
   * The markets tenants added, oldest first, as many as the engine cap allows (a lowered cap leaves the
   * newest out, logged); markets this engine does not run or the venue no longer lists are skipped.
   * Registered as followed; the caller subscribes them with the configured ones.
   */
  async loadStored(): Promise<FollowedMarket[]> {
    const rows = await this.#db.followedMarket.groupBy({
      by: ['venue', 'symbol'],
      _min: { createdAt: true },
      orderBy: { _min: { createdAt: 'asc' } },
    });
    const added: FollowedMarket[] = [];
    const skipped: string[] = [];
    for (const r of rows) {
      const key = keyOf(r.venue, r.symbol);
      if (this.#followed.has(key)) continue;
      if (!this.#venues.has(r.venue) || !this.#listed(r.venue, r.symbol) || this.#extra >= this.#maxExtra) {
        skipped.push(key);
        continue;
      }
      const m = { venue: r.venue, symbol: r.symbol, configured: false };
      this.#followed.set(key, m);
      this.#extra++;
      added.push(m);
    }
    if (skipped.length > 0)
      this.#logger.warn(
        { markets: skipped, max: this.#maxExtra },
        'followed markets not started (venue not run, not listed, or over MARKET_FOLLOW_MAX)',
      );
    return added;
  }

  /** Every market the engine follows now. */
  followed(): FollowedMarket[] {
    return [...this.#followed.values()];
  }

  isFollowed(venue: string, symbol: string): boolean {
    return this.#followed.has(keyOf(venue, symbol));
  }

  async follow(tenantId: string, input: FollowInput): Promise<FollowResult> {
    const { venue, symbol } = input;
    if (!this.#venues.has(venue))
      throw new AppError('MARKET_UNKNOWN_VENUE', `This engine does not run the ${venue} feed.`, { venue });
    if (!this.#listed(venue, symbol))
      throw new AppError(
        'MARKET_NOT_LISTED',
        `${venue} does not list ${symbol} as trading (see market.instruments).`,
        { venue, symbol },
      );
    const key = keyOf(venue, symbol);
    if (this.#followed.has(key)) return { venue, symbol, added: false };
    const running = this.#inFlight.get(key);
    // Another tenant is adding the same market right now: it is followed once, charged to that tenant.
    // If that one is refused (its tenant's cap), this call tries on its own account.
    if (running)
      return running.then(
        () => ({ venue, symbol, added: false }),
        () => this.follow(tenantId, input),
      );
    if (this.#extra + this.#inFlight.size >= this.#maxExtra)
      throw new AppError(
        'MARKET_FOLLOW_LIMIT',
        `This engine follows at most ${this.#maxExtra} markets beyond its configured ones.`,
        { max: this.#maxExtra },
      );
    const run = this.#add(tenantId, venue, symbol);
    this.#inFlight.set(key, run);
    try {
      return await run;
    } finally {
      this.#inFlight.delete(key);
    }
  }

  async #add(tenantId: string, venue: string, symbol: string): Promise<FollowResult> {
    // The tenant may hold the row already though this engine does not follow the market: another engine
    // stored it after this one loaded, or this one skipped it at load (cap, or not listed then). It was
    // charged when stored: nothing to charge or insert, only to subscribe. Read before the cap lock so a
    // tenant over a lowered cap can still follow what it holds.
    const held = await this.#db.followedMarket.findUnique({
      where: { tenantId_venue_symbol: { tenantId, venue, symbol } },
      select: { venue: true },
    });
    if (!held)
      await withinTierCap(this.#db, {
        tenantId,
        kind: 'followedMarkets',
        // The tenant's other markets: another engine may store this one between the read above and the
        // lock (the same tenant following it there), and a market must not count against itself.
        count: (tx) => tx.followedMarket.count({ where: { tenantId, NOT: { venue, symbol } } }),
        // Not `create`: that row stored meanwhile would be a unique-key error; it is the same follow.
        create: (tx) =>
          tx.followedMarket.createMany({ data: [{ tenantId, venue, symbol }], skipDuplicates: true }),
      });
    this.#followed.set(keyOf(venue, symbol), { venue, symbol, configured: false });
    this.#extra++;
    await this.#apply(venue, symbol);
    this.#logger.info({ venue, symbol, tenantId, alreadyHeld: held !== null }, 'market followed');
    return { venue, symbol, added: true };
  }

  #listed(venue: string, symbol: string): boolean {
    return this.#catalog.get(venue, symbol)?.status === 'trading';
  }
}

/** The symbols tenants added on any venue (the simulator lists them so they can be followed offline). */
export async function storedFollowedSymbols(db: Db): Promise<string[]> {
  const rows = await db.followedMarket.findMany({ distinct: ['symbol'], select: { symbol: true } });
  return rows.map((r) => r.symbol);
}
