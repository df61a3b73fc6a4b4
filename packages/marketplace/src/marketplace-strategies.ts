import type {
  BacktestMetricsView,
  DeploymentView,
  InstrumentRef,
  StrategyInterval,
  StrategyParams,
  Tier,
} from '@qt/shared';

/**
 * What the marketplace needs from the strategy runner and the backtest jobs (implemented by the engine's
 * strategies service). The marketplace has already checked ownership, entitlement and parameters.
 */
export interface MarketplaceStrategies {
  /**
   * The seller's strategy version to pin (the latest when `version` is absent); NOT_FOUND unless the
   * strategy belongs to `sellerTenantId`.
   */
  resolveVersion(
    sellerTenantId: string,
    strategyId: string,
    version?: number,
  ): Promise<{
    versionId: string;
    version: number;
    sha256: string;
    strategyName: string;
    /** When the version was uploaded (ms): the verification only uses data after it (out of sample). */
    createdAt: number;
  }>;
  /**
   * The instruments of `instruments` the platform does not know (no such venue or symbol in its
   * instrument catalogue); empty when all are known. Publishing refuses a listing with any.
   */
  unknownInstruments(instruments: InstrumentRef[]): Promise<InstrumentRef[]>;
  /**
   * Queues the platform's standard backtest of a version (purpose `verification`: not counted in the
   * seller's caps, not in their backtest list). Answers the backtest id.
   */
  startVerification(input: {
    sellerTenantId: string;
    strategyId: string;
    versionId: string;
    instrument: InstrumentRef;
    interval: StrategyInterval;
    from: number;
    to: number;
    params: StrategyParams;
  }): Promise<string>;
  /** A verification backtest's state and, once completed, its metrics and curves. */
  verificationResult(backtestId: string): Promise<{
    status: 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
    reason: string | null;
    metrics: BacktestMetricsView | null;
    equity: [number, number][];
    drawdown: [number, number][];
  }>;
  /**
   * The stored closed candles of an instrument at an interval: the first and last open time and how many
   * (the verification window is chosen from them). With `window`, only candles whose open time is in
   * [from, to) count (first/last/count of those). Null when there are none.
   */
  storedCandles(
    instrument: InstrumentRef,
    interval: StrategyInterval,
    window?: { from: number; to: number },
  ): Promise<{ first: number; last: number; count: number } | null>;
  /** A buyer's deployment of a listing: the listing's pinned version, under the buyer's tier caps. */
  deployListing(
    scope: { tenantId: string; actor: string; tier: Tier },
    input: {
      listingId: string;
      title: string;
      strategyId: string;
      versionId: string;
      accountId: string;
      instruments: InstrumentRef[];
      interval: StrategyInterval;
      params: StrategyParams;
    },
  ): Promise<DeploymentView>;
  /**
   * A seller's own deployment for a forward record: what it runs, its paper account's equity now
   * (decimal string, marked to market) and what else touches that account. NOT_FOUND unless it belongs
   * to `sellerTenantId`.
   */
  deploymentEquity(sellerTenantId: string, deploymentId: string): Promise<DeploymentEquity>;
}

/** A forward record's deployment as the marketplace checks and samples it. */
export interface DeploymentEquity {
  versionId: string;
  /** State `running` (starting/paused/stopped/failed are not). */
  running: boolean;
  /** The paper account's equity now, marked to market (decimal string). */
  equity: string;
  accountId: string;
  /** What the deployment runs: its instruments, interval and effective parameters. */
  instruments: InstrumentRef[];
  interval: StrategyInterval;
  params: StrategyParams;
  /**
   * How many OTHER deployments (any strategy) on the same paper account are starting, running or paused:
   * their trades would be mixed into the account's equity.
   */
  otherActiveDeployments: number;
  /**
   * When money last moved into or out of the account other than by trading (deposit, withdrawal, reset;
   * ms), null if never: a later one than the record's start would show up as return.
   */
  lastExternalFlowAt: number | null;
}
