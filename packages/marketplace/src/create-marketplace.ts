import type { MarketplaceBilling } from '@qt/billing';
import type { Db } from '@qt/db';
import type { Clock, MarketplacePort } from '@qt/shared';
import type { ListingAccessHook, MarketplaceDeps, MarketplaceLogger } from './deps.ts';
import { getListing } from './listing-detail.ts';
import type { MarketplaceStrategies } from './marketplace-strategies.ts';
import { attachTrackRecord, myListings, publish, update } from './publish.ts';
import { search } from './search.ts';
import { sellerDashboard, sellerOnboarding, sellerStatus } from './seller-dashboard.ts';
import { cancelSubscription, deploy, mySubscriptions, review, subscribe } from './subscriptions.ts';
import { sampleTrackRecords } from './track-record.ts';
import { finishVerifications } from './verification.ts';

export interface MarketplaceOptions {
  db: Db;
  clock: Clock;
  logger: MarketplaceLogger;
  billing: MarketplaceBilling;
  strategies: MarketplaceStrategies;
  verification?: { windowDays?: number; minCandles?: number };
  /** A search's statement timeout (ms, default 1,500): longer ones answer a retryable error. */
  searchTimeoutMs?: number;
  /** How often verifications are advanced (ms, default 2,000). */
  pollMs?: number;
  /** How often forward records are sampled (ms, default 60,000). */
  trackSampleMs?: number;
  /**
   * Told when a free listing's access starts or ends, so the engine pauses or resumes the buyer's
   * deployments (paid listings: billing's `listingAccessChanged` hook does it from the webhooks).
   */
  onListingAccess?: ListingAccessHook;
}

export interface MarketplaceService extends MarketplacePort {
  /** Starts the verification and sampling loops (each pass waits for the previous one: no pile-up). */
  start(): void;
  /** Stops the loops and waits for a pass in flight. */
  close(): Promise<void>;
  finishVerifications(): Promise<number>;
  sampleTrackRecords(): Promise<number>;
}

export function createMarketplace(opts: MarketplaceOptions): MarketplaceService {
  const windowDays = opts.verification?.windowDays ?? 30;
  const minCandles = opts.verification?.minCandles ?? 100;
  if (!(windowDays > 0) || !(minCandles >= 1))
    throw new RangeError('marketplace verification needs windowDays > 0 and minCandles >= 1');
  const searchTimeoutMs = opts.searchTimeoutMs ?? 1_500;
  if (!Number.isInteger(searchTimeoutMs) || searchTimeoutMs < 1 || searchTimeoutMs > 60_000)
    throw new RangeError('marketplace searchTimeoutMs must be an integer from 1 to 60000');
  const deps: MarketplaceDeps = {
    db: opts.db,
    clock: opts.clock,
    logger: opts.logger,
    billing: opts.billing,
    strategies: opts.strategies,
    windowDays,
    minCandles,
    searchTimeoutMs,
    ...(opts.onListingAccess ? { onListingAccess: opts.onListingAccess } : {}),
  };
  const loops: Loop[] = [];
  let started = false;

  return {
    search: (scope, input) => search(deps, scope, input),
    get: (scope, listingId) => getListing(deps, scope, listingId),
    publish: (scope, input) => publish(deps, scope, input),
    update: (scope, input) => update(deps, scope, input),
    myListings: (scope) => myListings(deps, scope),
    attachTrackRecord: (scope, input) => attachTrackRecord(deps, scope, input),
    sellerStatus: (scope) => sellerStatus(deps, scope),
    sellerOnboarding: (scope) => sellerOnboarding(deps, scope),
    sellerDashboard: (scope) => sellerDashboard(deps, scope),
    subscribe: (scope, listingId) => subscribe(deps, scope, listingId),
    mySubscriptions: (scope) => mySubscriptions(deps, scope),
    cancelSubscription: (scope, listingId) => cancelSubscription(deps, scope, listingId),
    review: (scope, input) => review(deps, scope, input),
    deploy: (scope, input) => deploy(deps, scope, input),
    finishVerifications: () => finishVerifications(deps),
    sampleTrackRecords: () => sampleTrackRecords(deps),
    start() {
      if (started) return;
      started = true;
      loops.push(
        loop(opts.pollMs ?? 2_000, () => finishVerifications(deps), deps.logger, 'verifications'),
        loop(opts.trackSampleMs ?? 60_000, () => sampleTrackRecords(deps), deps.logger, 'track records'),
      );
    },
    async close() {
      await Promise.all(loops.splice(0).map((l) => l.stop()));
    },
  };
}

interface Loop {
  stop(): Promise<void>;
}

/** Runs `pass` every `everyMs`, never two at once (a slow pass delays the next, nothing queues). */
function loop(everyMs: number, pass: () => Promise<unknown>, logger: MarketplaceLogger, what: string): Loop {
  let stopped = false;
  let inFlight: Promise<void> | null = null;
  let timer: NodeJS.Timeout | null = null;
  const tick = () => {
    timer = null;
    if (stopped) return;
    inFlight = pass()
      .then(
        () => undefined,
        (err: unknown) => logger.warn({ err: String(err) }, `marketplace ${what} pass failed`),
      )
      .finally(() => {
        inFlight = null;
        if (!stopped) timer = setTimeout(tick, everyMs).unref();
      });
  };
  timer = setTimeout(tick, everyMs).unref();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight;
    },
  };
}
