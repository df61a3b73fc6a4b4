import {
  AMOUNT_SCALE,
  AppError,
  type BacktestProgressView,
  type BacktestResultView,
  type BacktestView,
  type Clock,
  type CompileResultView,
  type DeployInput,
  type DeploymentPnlView,
  type DeploymentState,
  type DeploymentView,
  type Instrument,
  type MessageBus,
  notFound,
  parseScaled,
  type RunBacktestInput,
  type StrategiesPort,
  type StrategyExampleView,
  type StrategyLogLineView,
  type StrategyParams,
  type StrategyScope,
  type StrategySourceView,
  type StrategyView,
  type Tier,
} from '@qt/shared';
import { isStrategyValidationError, TIER_LIMITS, validateStrategyModule } from '@qt/strategy-runtime';
import { buildExample, examples, UnknownExampleError } from '@qt/strategy-sdk';
import { DeploymentPnlFold, marketKey } from '@qt/trading';
import type { Logger } from '../observability/logger.ts';
import type { TradingService } from '../trading/trading-service.ts';
import { UpdateHub } from '../trading/update-hub.ts';
import type { BacktestJobs } from './backtest-jobs.ts';
import { exampleSource, type StrategyEditor } from './compile/strategy-editor.ts';
import { DeploymentRunner } from './deployment-runner.ts';
import type { StartStrategy } from './running-strategy.ts';
import { type DeploymentRow, type StrategyStore, stateConflict } from './strategy-store.ts';

/**
 * The tier's `deployments` cap (TIER_CAPS) counts these: each holds a sandbox worker thread. Deploy and
 * redeploy start one, so they count all three; resume starts no thread but makes one run, so it counts
 * the running ones (this matters after a downgrade left more paused deployments than the tier runs).
 */
/** The reason a deployment paused by a data-quality alert carries while its feed is stale. */
export const FEED_STALE_PREFIX = 'FEED_STALE: ';
/**
 * The reason a buyer's deployment of a marketplace listing carries while the buyer's access has ended
 * (`SUBSCRIPTION_ENDED: <listing title>`): only these are resumed when the access is active again.
 */
export const SUBSCRIPTION_ENDED_PREFIX = 'SUBSCRIPTION_ENDED: ';

/** A seller's deployment as the marketplace's forward record samples it. */
export interface DeploymentEquityView {
  versionId: string;
  running: boolean;
  equity: string;
  accountId: string;
  instruments: DeploymentRow['instruments'];
  interval: DeploymentRow['interval'];
  params: StrategyParams;
  otherActiveDeployments: number;
  lastExternalFlowAt: number | null;
}

const HOLDING: readonly DeploymentState[] = ['starting', 'running', 'paused'];
/** Deployments whose PnL fold is kept between calls (the ones people look at), oldest asked dropped first. */
const PNL_FOLDS_KEPT = 500;
/** Fills read per query, and queries per call: a long history is caught up over a few calls. */
const PNL_PAGE = 10_000;
const PNL_PAGES_PER_CALL = 20;
const RUNNING: readonly DeploymentState[] = ['starting', 'running'];

export interface StrategiesServiceOptions {
  store: StrategyStore;
  trading: TradingService;
  bus: MessageBus;
  clock: Clock;
  logger: Logger;
  instrument(venue: string, symbol: string): Instrument | undefined;
  startStrategy: StartStrategy;
  backtests: BacktestJobs;
  /** The browser editor's compiler; absent: `compileSource`/`saveSource` answer SERVICE_UNAVAILABLE. */
  editor?: StrategyEditor;
  tierOf(tenantId: string): Promise<Tier>;
  /**
   * Whether the market's feed delivers venue/symbol now (absent: no market data on this engine, taken as
   * live). A listing deployment whose access returns is resumed only onto live feeds.
   */
  feedLive?(venue: string, symbol: string): boolean;
  /** How often this engine compares its listing deployments with the entitlements (default 30 s). */
  listingSweepMs?: number;
}

const LISTING_SWEEP_MS = 30_000;

/**
 * The strategies domain in the engine: modules validated at upload and stored as immutable versions,
 * deployments run by DeploymentRunner (one sandbox worker each), backtests delegated to BacktestJobs.
 * Every call is scoped to the caller's tenant; other tenants' ids answer NOT_FOUND.
 */
export class StrategiesService implements StrategiesPort {
  readonly #o: StrategiesServiceOptions;
  readonly #runners = new Map<string, DeploymentRunner>();
  /** Per deployment: its PnL fold and the ledger sequence it reached (see deploymentPnl). */
  readonly #pnlFolds = new Map<
    string,
    { tenantId: string; after: bigint; fold: DeploymentPnlFold; busy: Promise<void> | null }
  >();
  /** Deployment changes per tenant, and log lines per deployment. */
  readonly #deploymentHub = new UpdateHub<DeploymentView>();
  readonly #logHub = new UpdateHub<StrategyLogLineView>();
  #stopping = false;
  /** Starts in flight, per deployment: a listing access change waits for one before it pauses. */
  readonly #starts = new Map<string, Promise<void>>();
  /** Listing access passes run one at a time (a hook and the sweep never pause the same runner twice). */
  #listingPass: Promise<unknown> = Promise.resolve();
  #sweepTimer: NodeJS.Timeout | undefined;

  constructor(options: StrategiesServiceOptions) {
    this.#o = options;
  }

  /**
   * Every `listingSweepMs`, this engine's listing deployments are compared with the entitlements: a
   * change whose hook never reached this engine (another engine's webhook with the change feed down, a
   * crash between commit and hook) is applied within one period.
   */
  startListingSweep(): void {
    if (this.#sweepTimer) return;
    this.#sweepTimer = setInterval(
      () =>
        void this.syncListingAccess().catch((err: unknown) =>
          this.#o.logger.warn({ err }, 'listing access sweep failed; the next one tries again'),
        ),
      this.#o.listingSweepMs ?? LISTING_SWEEP_MS,
    );
    this.#sweepTimer.unref();
  }

  /**
   * Time spent inside strategy calls so far, per running deployment of this engine (the sandbox's own
   * per-call durations, summed), for usage metering: the meter adds the growth since its last reading.
   */
  callTime(): { id: string; tenantId: string; totalMs: number }[] {
    const out: { id: string; tenantId: string; totalMs: number }[] = [];
    for (const [id, runner] of this.#runners) {
      const m = runner.metrics();
      if (m) out.push({ id, tenantId: runner.row.tenantId, totalMs: m.totalCallMicros / 1000 });
    }
    return out;
  }

  /** Brings back the deployments that were running or paused when the engine stopped. */
  async restore(): Promise<number> {
    const rows = await this.#o.store.activeDeployments();
    // A listing deployment runs only while its buyer's access is active: one whose access ended while no
    // engine ran it (or whose pause was lost with the engine) comes back paused, and one paused for that
    // reason whose access is active again comes back running.
    const ended = await this.#o.store.endedListings(
      rows.flatMap((r) => (r.listingId ? [{ tenantId: r.tenantId, listingId: r.listingId }] : [])),
    );
    for (const row of rows) {
      let paused = row.state === 'paused';
      // A paused deployment keeps the reason that says who paused it (the stale-feed path reads it).
      let pausedReason: string | null = paused ? row.reason : null;
      if (row.listingId) {
        const reason = row.reason ?? '';
        const subscriptionEnded = reason.startsWith(SUBSCRIPTION_ENDED_PREFIX);
        if (ended.has(`${row.tenantId}:${row.listingId}`)) {
          // Access wins over a stale feed: the feed coming back must not resume it.
          if (!paused || subscriptionEnded || reason.startsWith(FEED_STALE_PREFIX)) {
            paused = true;
            pausedReason = subscriptionEnded ? row.reason : pausedForEndedSubscription(row);
          }
        } else if (paused && subscriptionEnded) {
          paused = false;
          pausedReason = null;
        }
      }
      try {
        await this.#launch(row, await this.#o.tierOf(row.tenantId), paused, undefined, pausedReason);
      } catch (err) {
        const reason = err instanceof Error ? err.message : String(err);
        this.#o.logger.warn({ deployment: row.id, reason }, 'deployment could not be restored');
        await this.#o.store.updateDeployment(row.id, {
          state: 'failed',
          reason: `restore failed: ${reason}`,
        });
      }
    }
    return rows.length;
  }

  /** Engine shutdown: sandboxes end, deployments stay running in the database (restored at start). */
  async close(): Promise<void> {
    this.#stopping = true;
    clearInterval(this.#sweepTimer);
    await this.#listingPass.catch(() => undefined);
    const runners = [...this.#runners.values()];
    this.#runners.clear();
    // A paused deployment keeps its reason across the restart (FEED_STALE / SUBSCRIPTION_ENDED say who
    // paused it, and so who may resume it).
    await Promise.all(runners.map((r) => r.stop(r.state === 'paused' ? r.reason : null, r.state)));
    await this.#o.backtests.close();
  }

  // ---- strategies ----------------------------------------------------------------------------------

  async examples(): Promise<StrategyExampleView[]> {
    return examples.map((e) => ({
      name: e.name,
      title: e.title,
      description: e.description,
      params: e.params.map((p) => ({
        name: p.name,
        default: p.default,
        min: p.min,
        max: p.max,
        description: p.label,
      })),
    }));
  }

  list(scope: StrategyScope): Promise<StrategyView[]> {
    return this.#o.store.list(scope.tenantId);
  }

  get(scope: StrategyScope, strategyId: string): Promise<StrategyView> {
    return this.#o.store.get(scope.tenantId, strategyId);
  }

  async upload(
    scope: StrategyScope,
    input: { name: string; description?: string | undefined; wasm: Uint8Array },
  ): Promise<StrategyView> {
    const validated = validate(input.wasm, scope.tier);
    return this.#o.store.addVersion(scope.tenantId, input, {
      wasm: input.wasm,
      source: 'upload',
      callbacks: validated.callbacks,
      memoryPages: validated.memory.maximumPages,
    });
  }

  async createFromExample(
    scope: StrategyScope,
    input: { name: string; example: string },
  ): Promise<StrategyView> {
    const info = examples.find((e) => e.name === input.example);
    if (!info) throw notFound(`Example "${input.example}"`);
    let wasm: Uint8Array;
    try {
      wasm = await buildExample(info.name);
    } catch (err) {
      if (err instanceof UnknownExampleError) throw notFound(`Example "${input.example}"`);
      throw err;
    }
    const validated = validate(wasm, scope.tier);
    return this.#o.store.addVersion(
      scope.tenantId,
      {
        name: input.name,
        description: info.description,
        defaultParams: Object.fromEntries(info.params.map((p) => [p.name, p.default])),
      },
      {
        wasm,
        source: `example:${info.name}`,
        // Shipped beside the module: "open in editor" starts from it (a missing file leaves none).
        ...(await exampleSource(info.name).then(
          (code) => ({ sourceCode: code }),
          () => ({}),
        )),
        callbacks: validated.callbacks,
        memoryPages: validated.memory.maximumPages,
      },
    );
  }

  // ---- the browser editor (compile/strategy-editor.ts) -----------------------------------------------

  compileSource(scope: StrategyScope, source: string): Promise<CompileResultView> {
    return this.#editor().compile(scope, source);
  }

  saveSource(scope: StrategyScope, input: { strategyId: string; source: string }): Promise<StrategyView> {
    return this.#editor().save(scope, input.strategyId, input.source);
  }

  source(
    scope: StrategyScope,
    input: { strategyId: string; version?: number | undefined },
  ): Promise<StrategySourceView> {
    return this.#editor().source(scope, input.strategyId, input.version);
  }

  #editor(): StrategyEditor {
    if (!this.#o.editor)
      throw new AppError('SERVICE_UNAVAILABLE', 'This engine does not compile strategies (no compiler).');
    return this.#o.editor;
  }

  // ---- deployments ---------------------------------------------------------------------------------

  async deploy(scope: StrategyScope, input: DeployInput): Promise<DeploymentView> {
    // NOT_FOUND for another tenant's account, before anything is stored.
    await this.#o.trading.balances(scope, input.accountId);
    for (const ref of input.instruments) this.#instrument(ref.venue, ref.symbol);
    const version = await this.#o.store.version(scope.tenantId, input.strategyId, input.version);
    // Counted and inserted under the tenant's cap lock: concurrent deploys cannot all pass the count.
    const { row, tier } = await this.#o.store.withinTierCap({
      tenantId: scope.tenantId,
      kind: 'deployments',
      count: (tx) => this.#o.store.countDeployments(scope.tenantId, HOLDING, null, tx),
      create: async (tx, cap) => ({
        tier: cap.tier,
        row: await this.#o.store.createDeployment(
          {
            tenantId: scope.tenantId,
            version,
            accountId: input.accountId,
            instruments: input.instruments,
            interval: input.interval,
            params: input.params,
          },
          tx,
        ),
      }),
    });
    await this.#launch(row, tier, false, version.wasm);
    return this.getDeployment(scope, row.id);
  }

  async listDeployments(
    scope: StrategyScope,
    input: { accountId?: string | undefined },
  ): Promise<DeploymentView[]> {
    // The runners first, then the rows: a runner that ends while the query runs leaves the map, and its
    // row may have been read before its last state was stored; the runner itself is never older.
    const runners = new Map(this.#runners);
    const rows = await this.#o.store.deployments(scope.tenantId, input.accountId);
    return rows.map((r) => this.#view(r, runners.get(r.id)));
  }

  async getDeployment(scope: StrategyScope, deploymentId: string): Promise<DeploymentView> {
    const runner = this.#runners.get(deploymentId); // before the read: see listDeployments
    const row = await this.#o.store.deployment(scope.tenantId, deploymentId);
    return this.#view(row, runner);
  }

  /**
   * The deployment's own PnL: its orders' fills, in commit order, on positions of its own, marked with the
   * account's marks. Folded incrementally: a bounded cache keeps each recently asked deployment's fold and
   * the ledger sequence it reached, so a poll reads only the fills committed since.
   */
  async deploymentPnl(scope: StrategyScope, deploymentId: string): Promise<DeploymentPnlView> {
    const row = await this.#o.store.deployment(scope.tenantId, deploymentId);
    let cached = this.#pnlFolds.get(row.id);
    if (!cached || cached.tenantId !== scope.tenantId) {
      cached = {
        tenantId: scope.tenantId,
        after: 0n,
        fold: new DeploymentPnlFold(row.accountId),
        busy: null,
      };
    }
    this.#pnlFolds.delete(row.id); // re-inserted below: the Map's order is the LRU order
    this.#pnlFolds.set(row.id, cached);
    while (this.#pnlFolds.size > PNL_FOLDS_KEPT)
      this.#pnlFolds.delete(this.#pnlFolds.keys().next().value as string);
    // One read at a time per deployment: two polls at once must not add the same fills twice.
    const entry = cached;
    const catchUp = (entry.busy ?? Promise.resolve()).then(async () => {
      for (let page = 0; page < PNL_PAGES_PER_CALL; page++) {
        const fills = await this.#o.store.deploymentFillsAfter(
          scope.tenantId,
          row.accountId,
          row.id,
          entry.after,
          PNL_PAGE,
        );
        for (const f of fills) entry.fold.add(f);
        const last = fills.at(-1);
        if (last) entry.after = last.sequence;
        if (fills.length < PNL_PAGE) return false;
      }
      return true;
    });
    entry.busy = catchUp.then(
      () => undefined,
      () => undefined,
    );
    const [behind, positions] = await Promise.all([catchUp, this.#o.trading.positions(scope, row.accountId)]);
    const marks = new Map<string, bigint>();
    for (const p of positions)
      if (p.markPrice !== null)
        marks.set(marketKey(p.venue, p.symbol), parseScaled(p.markPrice, AMOUNT_SCALE));
    // `truncated`: more fills than one call folds (200,000) are still to come; the next call goes on.
    return { deploymentId: row.id, ...entry.fold.result(marks), truncated: behind };
  }

  async pause(scope: StrategyScope, deploymentId: string): Promise<DeploymentView> {
    await this.#runner(scope, deploymentId).then((r) => r.pause());
    return this.getDeployment(scope, deploymentId);
  }

  // ---- data-quality hooks (the alert engine's `pauseDeployment`, "feed degraded" events) ----------

  /** This engine's running or paused deployments that trade venue/symbol. */
  tradingOn(venue: string, symbol: string): Array<{ deploymentId: string; tenantId: string }> {
    const out: Array<{ deploymentId: string; tenantId: string }> = [];
    for (const [id, r] of this.#runners) {
      if (r.state !== 'running' && r.state !== 'paused') continue;
      if (r.row.instruments.some((i) => i.venue === venue && i.symbol === symbol))
        out.push({ deploymentId: id, tenantId: r.row.tenantId });
    }
    return out;
  }

  /**
   * Pauses the tenant's running deployments (on this engine) that trade venue/symbol, with the reason
   * `FEED_STALE: <venue> <symbol> ...`: the stored reason is the record of who paused it, so only these
   * are resumed when the feed is live again (a deployment its owner paused stays paused), also after a
   * restart. Returns the ids paused.
   */
  async pauseForStaleFeed(
    tenantId: string,
    venue: string,
    symbol: string,
    detail: string,
  ): Promise<string[]> {
    const paused: string[] = [];
    for (const { deploymentId, tenantId: owner } of this.tradingOn(venue, symbol)) {
      const runner = this.#runners.get(deploymentId);
      if (owner !== tenantId || runner?.state !== 'running') continue;
      await runner.pause(`${FEED_STALE_PREFIX}${detail}`);
      paused.push(deploymentId);
    }
    return paused;
  }

  /** Resumes the deployments on venue/symbol paused by pauseForStaleFeed (through the tier cap, as any resume). */
  async resumeAfterStaleFeed(venue: string, symbol: string): Promise<string[]> {
    const resumed: string[] = [];
    for (const { deploymentId, tenantId } of this.tradingOn(venue, symbol)) {
      const runner = this.#runners.get(deploymentId);
      const reason = runner?.reason ?? '';
      // The market must match whole: a stale `okx BTC-USDT` is not `okx BTC-USDT-SWAP`.
      const market = `${FEED_STALE_PREFIX}${venue} ${symbol}`;
      if (runner?.state !== 'paused' || (reason !== market && !reason.startsWith(`${market} `))) continue;
      const scope = { tenantId, actor: 'system:feed-stale', tier: await this.#o.tierOf(tenantId) };
      try {
        await this.resume(scope, deploymentId);
        resumed.push(deploymentId);
      } catch (err) {
        this.#o.logger.warn(
          { err, deployment: deploymentId },
          'deployment not resumed after its feed came back',
        );
      }
    }
    return resumed;
  }

  async resume(scope: StrategyScope, deploymentId: string): Promise<DeploymentView> {
    const runner = await this.#runner(scope, deploymentId);
    const id = runner.row.id;
    const listingId = runner.row.listingId;
    if (listingId && !(await this.#o.store.entitled(scope.tenantId, listingId))) {
      throw new AppError(
        'SUBSCRIPTION_REQUIRED',
        `Your subscription to "${runner.row.listingTitle ?? 'this listing'}" has ended: subscribe again to resume it.`,
        { listingId },
      );
    }
    await this.#o.store.withinTierCap({
      tenantId: scope.tenantId,
      kind: 'deployments',
      count: async (tx) => {
        // Not paused (a concurrent resume won): STATE_CONFLICT, not the cap, is what the caller must hear.
        // Memory and the row (locked: a failure racing this lands before the read or after the commit).
        if (runner.state !== 'paused') throw stateConflict(runner.state, 'resumed');
        const stored = await this.#o.store.lockDeploymentState(id, tx);
        if (stored !== 'paused') throw stateConflict(stored ?? 'stopped', 'resumed');
        return this.#o.store.countDeployments(scope.tenantId, RUNNING, id, tx);
      },
      // Stored on the transaction's own connection: another pooled connection taken while this one is
      // held can stall the pool when many tenants resume at once.
      create: (tx) => this.#o.store.updateDeployment(id, { state: 'running', reason: null }, tx),
      // Memory follows the committed row, before the next caller in line counts.
      committed: (row) => {
        if (runner.resumed()) this.#deploymentHub.publish(row.tenantId, this.#view(row, runner));
      },
    });
    return this.getDeployment(scope, deploymentId);
  }

  async stop(scope: StrategyScope, deploymentId: string): Promise<DeploymentView> {
    const row = await this.#o.store.deployment(scope.tenantId, deploymentId);
    const runner = this.#runners.get(row.id);
    if (runner) {
      this.#runners.delete(row.id);
      await runner.stop('stopped by the user');
    } else if (row.state !== 'stopped' && row.state !== 'failed') {
      await this.#setState(row.id, 'stopped', 'stopped by the user');
    }
    return this.getDeployment(scope, deploymentId);
  }

  /** A new version and/or parameters for a deployment: the old sandbox stops, a new one starts. */
  async redeploy(
    scope: StrategyScope,
    input: { deploymentId: string; version?: number | undefined; params?: StrategyParams | undefined },
  ): Promise<DeploymentView> {
    const row = await this.#o.store.deployment(scope.tenantId, input.deploymentId);
    if (row.listingId) {
      // Its version is the listing's pin and its parameters were checked against the listing's bounds
      // by the marketplace: neither can change here.
      throw new AppError(
        'VALIDATION_FAILED',
        'A marketplace listing deployment cannot be redeployed: deploy the listing again with the new parameters.',
        { listingId: row.listingId },
      );
    }
    const version = await this.#o.store.version(scope.tenantId, row.strategyId, input.version);
    // A stopped or failed deployment starts a sandbox again: the cap counts the others, under the lock.
    // The row (now `starting`, so it holds its place) is written on the transaction's own connection;
    // the old sandbox is stopped and the new one registered after the commit, still first in line, so a
    // second redeploy of the same deployment finds the new runner (never two), and a refused redeploy
    // leaves the running one alone.
    let started: Promise<void> = Promise.resolve();
    await this.#o.store.withinTierCap({
      tenantId: scope.tenantId,
      kind: 'deployments',
      count: (tx) => this.#o.store.countDeployments(scope.tenantId, HOLDING, row.id, tx),
      create: async (tx, cap) => ({
        tier: cap.tier,
        updated: await this.#o.store.updateDeployment(
          row.id,
          {
            versionId: version.id,
            state: 'starting',
            reason: null,
            ...(input.params ? { params: input.params } : {}),
          },
          tx,
        ),
      }),
      committed: async ({ updated, tier }) => {
        const old = this.#runners.get(row.id);
        if (old) {
          this.#runners.delete(row.id);
          // Retired: the row is the new run's, so the old run's stop (or a failure racing it) is not stored.
          await old.stop(`redeployed as version ${version.version}`, 'stopped', false);
        }
        started = this.#launch(updated, tier, false, version.wasm);
      },
    });
    await started;
    return this.getDeployment(scope, row.id);
  }

  // ---- marketplace (the engine's MarketplaceStrategies adapter and billing's hooks) ------------------

  /**
   * A buyer's deployment of a listing: the seller's strategy at the listing's pinned version, on the
   * buyer's account, counted in the buyer's `deployments` cap and run under the buyer's tier. The
   * marketplace has checked the entitlement, the instruments, the interval and the parameters.
   */
  async deployListing(
    scope: StrategyScope,
    input: {
      listingId: string;
      strategyId: string;
      versionId: string;
      accountId: string;
      instruments: DeployInput['instruments'];
      interval: DeployInput['interval'];
      params: StrategyParams;
    },
  ): Promise<DeploymentView> {
    await this.#o.trading.balances(scope, input.accountId);
    for (const ref of input.instruments) this.#instrument(ref.venue, ref.symbol);
    const version = await this.#o.store.versionById(input.versionId);
    if (version.strategyId !== input.strategyId) throw notFound('Listing version');
    const { row, tier } = await this.#o.store.withinTierCap({
      tenantId: scope.tenantId,
      kind: 'deployments',
      count: async (tx) => {
        // Checked again here, the entitlement row held FOR SHARE until the commit: an end racing this
        // deploy commits after it, and its change (applied to every engine from the rows) finds this
        // deployment; without it the deployment could start after the pause pass and run unpaid.
        if (!(await this.#o.store.entitled(scope.tenantId, input.listingId, tx))) {
          throw new AppError('SUBSCRIPTION_REQUIRED', 'Subscribe to this listing to deploy it.', {
            listingId: input.listingId,
          });
        }
        return this.#o.store.countDeployments(scope.tenantId, HOLDING, null, tx);
      },
      create: async (tx, cap) => ({
        tier: cap.tier,
        row: await this.#o.store.createDeployment(
          {
            tenantId: scope.tenantId,
            version,
            accountId: input.accountId,
            instruments: input.instruments,
            interval: input.interval,
            params: input.params,
            listingId: input.listingId,
          },
          tx,
        ),
      }),
    });
    await this.#launch(row, tier, false, version.wasm);
    return this.getDeployment(scope, row.id);
  }

  /**
   * Billing's `listingAccessChanged`, as applied on this engine (every engine gets it, see the engine's
   * hook): the tenant's deployments of the listing follow the entitlement's CURRENT row, not the change's
   * `access`, so changes arriving out of order or twice converge on the last committed state.
   */
  listingAccessChanged(change: { tenantId: string; listingId: string }): Promise<string[]> {
    return this.syncListingAccess({ tenantIds: [change.tenantId], listingId: change.listingId });
  }

  /**
   * This engine's listing deployments (all, or those of `tenantIds` / `listingId`) against the
   * entitlements read now. Access ended: running ones pause with `SUBSCRIPTION_ENDED: <title>`, and one
   * paused by a stale feed takes that reason (access wins: the feed coming back must not resume it).
   * Access active: those paused with SUBSCRIPTION_ENDED resume if their feeds are live; otherwise they
   * are handed to the stale-feed path (`FEED_STALE: ...`), which resumes them when the feed is back. A
   * deployment its owner paused is never touched. One still starting is waited for. Returns the ids changed.
   */
  syncListingAccess(
    filter: { tenantIds?: readonly string[] | null; listingId?: string } = {},
  ): Promise<string[]> {
    const pass = this.#listingPass.then(() => this.#syncListingAccess(filter));
    this.#listingPass = pass.catch(() => undefined);
    return pass;
  }

  async #syncListingAccess(filter: {
    tenantIds?: readonly string[] | null;
    listingId?: string;
  }): Promise<string[]> {
    const tenants = filter.tenantIds ? new Set(filter.tenantIds) : null;
    const picked = () =>
      [...this.#runners].filter(
        ([, r]) =>
          r.row.listingId !== null &&
          HOLDING.includes(r.state) &&
          (tenants === null || tenants.has(r.row.tenantId)) &&
          (filter.listingId === undefined || r.row.listingId === filter.listingId),
      );
    // A start in flight ends first (paused or running, or failed): a runner cannot pause while starting.
    await Promise.all(picked().map(([id]) => this.#starts.get(id)?.catch(() => undefined)));
    const runners = picked();
    if (runners.length === 0 || this.#stopping) return [];
    const ended = await this.#o.store.endedListings(
      runners.map(([, r]) => ({ tenantId: r.row.tenantId, listingId: r.row.listingId as string })),
    );
    const changed: string[] = [];
    for (const [id, runner] of runners) {
      const row = runner.row;
      const reason = runner.reason ?? '';
      try {
        if (ended.has(`${row.tenantId}:${row.listingId}`)) {
          if (runner.state === 'running') await runner.pause(pausedForEndedSubscription(row));
          else if (runner.state === 'paused' && reason.startsWith(FEED_STALE_PREFIX))
            await runner.repause(pausedForEndedSubscription(row));
          else continue;
          changed.push(id);
        } else if (runner.state === 'paused' && reason.startsWith(SUBSCRIPTION_ENDED_PREFIX)) {
          const stale = row.instruments.find((i) => !(this.#o.feedLive?.(i.venue, i.symbol) ?? true));
          if (stale) {
            await runner.repause(
              `${FEED_STALE_PREFIX}${stale.venue} ${stale.symbol} (not live when the subscription resumed)`,
            );
          } else {
            const tier = await this.#o.tierOf(row.tenantId);
            await this.resume({ tenantId: row.tenantId, actor: 'system:billing', tier }, id);
          }
          changed.push(id);
        }
      } catch (err) {
        this.#o.logger.warn({ err, deployment: id }, 'listing access change not applied');
      }
    }
    return changed;
  }

  /**
   * A seller's own deployment (the forward record): what it runs, its paper account's equity now, the
   * account's other active deployments and its last deposit or withdrawal (either would mix into the
   * record's return).
   */
  async deploymentEquity(sellerTenantId: string, deploymentId: string): Promise<DeploymentEquityView> {
    const row = await this.#o.store.deployment(sellerTenantId, deploymentId);
    // A listing deployment is a buyer's copy: never a seller's own track record.
    if (row.listingId) throw notFound('Deployment');
    const scope = { tenantId: sellerTenantId, actor: 'system:marketplace' };
    const pnl = await this.#o.trading.pnl(scope, row.accountId);
    if (pnl.equity === null) {
      throw new AppError(
        'MARKET_NO_DATA',
        `The account holds ${pnl.unpriced.join(', ')} with no price yet: its equity cannot be marked.`,
        { unpriced: pnl.unpriced },
      );
    }
    const account = await this.#o.store.accountActivity(row.accountId, row.id);
    const state = this.#runners.get(row.id)?.state ?? row.state;
    return {
      versionId: row.versionId,
      running: state === 'running',
      equity: pnl.equity,
      accountId: row.accountId,
      instruments: row.instruments,
      interval: row.interval,
      params: row.params,
      otherActiveDeployments: account.otherActiveDeployments,
      lastExternalFlowAt: account.lastExternalFlowAt,
    };
  }

  /** A verification backtest for the marketplace (see BacktestJobs.submitVerification). */
  async startVerification(
    sellerTenantId: string,
    input: { versionId: string; strategyId: string } & Omit<RunBacktestInput, 'strategyId' | 'version'>,
  ): Promise<string> {
    for (const ref of input.instruments) this.#instrument(ref.venue, ref.symbol);
    const version = await this.#o.store.versionById(input.versionId);
    if (version.strategyId !== input.strategyId) throw notFound('Strategy version');
    const { versionId: _, ...spec } = input;
    const view = await this.#o.backtests.submitVerification(sellerTenantId, version, {
      ...spec,
      version: version.version,
    });
    return view.id;
  }

  verificationResult(backtestId: string): Promise<BacktestResultView> {
    return this.#o.backtests.verificationResult(backtestId);
  }

  async logs(
    scope: StrategyScope,
    input: { deploymentId: string; limit: number },
  ): Promise<StrategyLogLineView[]> {
    const row = await this.#o.store.deployment(scope.tenantId, input.deploymentId);
    const lines = this.#runners.get(row.id)?.logs ?? this.#lastLogs.get(row.id) ?? [];
    return lines.slice(-input.limit);
  }

  deploymentUpdates(scope: StrategyScope, signal: AbortSignal): AsyncIterable<DeploymentView> {
    return this.#deploymentHub.subscribe(scope.tenantId, signal);
  }

  async *logStream(
    scope: StrategyScope,
    deploymentId: string,
    signal: AbortSignal,
  ): AsyncIterable<StrategyLogLineView> {
    const row = await this.#o.store.deployment(scope.tenantId, deploymentId);
    yield* this.#logHub.subscribe(row.id, signal);
  }

  /** Engine-internal (tests, diagnostics): the candles a live deployment was given. */
  candlesSeen(deploymentId: string): { first: number | null; last: number | null; count: number } | null {
    return this.#runners.get(deploymentId)?.candles ?? null;
  }

  /** The metrics every few seconds while something changes, for the live dashboard. */
  publishMetrics(): void {
    for (const r of this.#runners.values()) {
      if (r.state !== 'running') continue;
      const view = this.#view(r.row);
      // A deployment between candles has nothing new to show: no push.
      const m = view.metrics;
      const stamp = `${m.calls}:${m.orders}:${m.fills}:${m.rejected}`;
      if (this.#lastPushed.get(r.row.id) === stamp) continue;
      this.#lastPushed.set(r.row.id, stamp);
      this.#deploymentHub.publish(r.row.tenantId, view);
    }
  }

  /** What publishMetrics last pushed per deployment. */
  readonly #lastPushed = new Map<string, string>();

  // ---- backtests -----------------------------------------------------------------------------------

  async runBacktest(scope: StrategyScope, input: RunBacktestInput): Promise<BacktestView> {
    for (const ref of input.instruments) this.#instrument(ref.venue, ref.symbol);
    const version = await this.#o.store.version(scope.tenantId, input.strategyId, input.version);
    return this.#o.backtests.submit(scope, version, input);
  }

  listBacktests(scope: StrategyScope, input: { strategyId?: string | undefined }): Promise<BacktestView[]> {
    return this.#o.backtests.list(scope, input.strategyId);
  }

  getBacktest(scope: StrategyScope, backtestId: string): Promise<BacktestResultView> {
    return this.#o.backtests.result(scope, backtestId);
  }

  cancelBacktest(scope: StrategyScope, backtestId: string): Promise<BacktestView> {
    return this.#o.backtests.cancel(scope, backtestId);
  }

  backtestProgress(
    scope: StrategyScope,
    backtestId: string,
    signal: AbortSignal,
  ): AsyncIterable<BacktestProgressView> {
    return this.#o.backtests.progress(scope, backtestId, signal);
  }

  // ---- internals -----------------------------------------------------------------------------------

  readonly #lastLogs = new Map<string, StrategyLogLineView[]>();

  /**
   * Registers the deployment's runner (synchronously, before the first await: redeploy relies on it to
   * claim the map entry while it is first in the tier-cap line) and starts it.
   */
  async #launch(
    row: DeploymentRow,
    tier: Tier,
    paused: boolean,
    wasm?: Uint8Array,
    pausedReason: string | null = null,
  ): Promise<void> {
    const runner = new DeploymentRunner(row, {
      trading: this.#o.trading,
      bus: this.#o.bus,
      clock: this.#o.clock,
      logger: this.#o.logger,
      instrument: (v, s) => this.#o.instrument(v, s),
      startStrategy: this.#o.startStrategy,
      onState: (id, state, reason) => this.#setState(id, state, reason),
      onLog: (id, line) => this.#logHub.publish(id, line),
    });
    this.#runners.set(row.id, runner);
    const starting = (async () => {
      const bytes = wasm ?? (await this.#o.store.versionById(row.versionId)).wasm;
      await runner.start(bytes, tier, paused, pausedReason);
    })();
    this.#starts.set(row.id, starting);
    try {
      await starting;
    } catch (err) {
      // A start that throws (a worker that could not boot, the bus refusing a subscription) must not
      // leave the deployment "starting" for ever: it fails with the reason, as a trap would.
      this.#o.logger.error({ err, deployment: row.id }, 'deployment failed to start');
      await runner.stop(null, 'stopped').catch(() => undefined);
      this.#runners.delete(row.id);
      const reason = `START_FAILED: ${err instanceof Error ? err.message : String(err)}`;
      await this.#setState(row.id, 'failed', reason);
      return;
    } finally {
      if (this.#starts.get(row.id) === starting) this.#starts.delete(row.id);
    }
    if (runner.state === 'failed' || runner.state === 'stopped') {
      this.#runners.delete(row.id);
      this.#lastLogs.set(row.id, runner.logs);
    }
  }

  async #setState(id: string, state: DeploymentState, reason: string | null): Promise<void> {
    if (this.#stopping) return;
    const row = await this.#o.store.updateDeployment(id, { state, reason });
    const runner = this.#runners.get(id);
    if (runner && (state === 'failed' || state === 'stopped')) {
      this.#runners.delete(id);
      this.#lastPushed.delete(id);
      this.#lastLogs.set(id, runner.logs);
    }
    this.#deploymentHub.publish(row.tenantId, this.#view(row, runner));
  }

  async #runner(scope: StrategyScope, deploymentId: string): Promise<DeploymentRunner> {
    const row = await this.#o.store.deployment(scope.tenantId, deploymentId);
    const runner = this.#runners.get(row.id);
    if (!runner) {
      throw new AppError(
        'STRATEGY_STATE_CONFLICT',
        `The deployment is ${row.state}: redeploy it to run it again.`,
        {
          state: row.state,
        },
      );
    }
    return runner;
  }

  #instrument(venue: string, symbol: string): Instrument {
    const found = this.#o.instrument(venue, symbol);
    if (!found)
      throw new AppError('MARKET_UNKNOWN_INSTRUMENT', `${venue} ${symbol} is not a known instrument.`);
    return found;
  }

  #view(row: DeploymentRow, runner = this.#runners.get(row.id)): DeploymentView {
    const m = runner?.metrics();
    const c = runner?.counters;
    // A buyer's deployment of a listing shows the listing, not the seller's strategy: the listing's id and
    // title, and only the parameters the buyer may set (the seller's fixed values stay the seller's). The
    // version number stays (the schema requires it); it is the listing's pin, public on the listing.
    const buyer = row.listingId !== null && row.tenantId !== row.listingSellerTenantId;
    const tunable = buyer ? new Set(row.listingTunableNames ?? []) : null;
    return {
      id: row.id,
      strategyId: buyer ? (row.listingId as string) : row.strategyId,
      // A buyer knows a listing deployment by the listing's title, never the seller's strategy name.
      strategyName: row.listingTitle ?? row.strategyName,
      version: row.version,
      accountId: row.accountId,
      instruments: row.instruments,
      interval: row.interval,
      params: tunable
        ? Object.fromEntries(Object.entries(row.params).filter(([name]) => tunable.has(name)))
        : row.params,
      state: runner?.state ?? row.state,
      reason: runner?.reason ?? row.reason,
      metrics: {
        calls: m?.calls ?? 0,
        avgCallMicros: m && m.calls > 0 ? m.totalCallMicros / m.calls : 0,
        maxCallMicros: m?.maxCallMicros ?? 0,
        orders: c?.orders ?? 0,
        rejected: c?.rejected ?? 0,
        fills: c?.fills ?? 0,
        traps: m?.traps ?? 0,
        droppedLogLines: m?.droppedLogLines ?? 0,
      },
      createdAt: row.createdAt.toISOString(),
      updatedAt: row.updatedAt.toISOString(),
    };
  }
}

function pausedForEndedSubscription(row: DeploymentRow): string {
  return `${SUBSCRIPTION_ENDED_PREFIX}${row.listingTitle ?? row.listingId}`;
}

function validate(wasm: Uint8Array, tier: Tier) {
  try {
    return validateStrategyModule(wasm, TIER_LIMITS[tier]);
  } catch (err) {
    if (isStrategyValidationError(err)) {
      throw new AppError('STRATEGY_INVALID_MODULE', err.message, { reason: err.code });
    }
    throw err;
  }
}
