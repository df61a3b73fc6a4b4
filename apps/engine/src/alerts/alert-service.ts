import { randomUUID } from 'node:crypto';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  type AlertChannel,
  AlertEvaluator,
  type AlertMailer,
  type AlertRule,
  alertChannelSchema,
  type DeliveryConfig,
  type DeliveryOutcome,
  DeliveryQueue,
  type Firing,
  parseAlertRule,
} from '@qt/alerts';
import { withinTierCap } from '@qt/api';
import type { Db } from '@qt/db';
import {
  type AlertFiringView,
  type AlertHistoryInput,
  type AlertScope,
  type AlertStateView,
  type AlertsPort,
  type AlertView,
  AppError,
  type BusMessage,
  type Clock,
  type ConsumerSpec,
  type CreateAlertInput,
  type DataQualityMessage,
  type Kline,
  type MarkReadInput,
  type MessageBus,
  type Subscription,
  streamNames,
  TIER_CAPS,
  type Tier,
  type TradeBatch,
  topics,
  type UpdateAlertInput,
} from '@qt/shared';
import type { Logger } from '../observability/logger.ts';
import { UpdateHub } from '../trading/update-hub.ts';
import { type AlertPositions, AlertStore, firingView } from './alert-store.ts';
import { CommitPipeline, type EvaluatedBatch } from './commit-pipeline.ts';
import { consumerBaseName } from './evaluator-id.ts';
import { alertsFiredSubject, alertsFiredTopic } from './fired-topic.ts';
import { type FollowedMarkets, marketChanged } from './followed-markets.ts';
import { IndicatorWarmup, type StoredCandleReader } from './indicator-warmup.ts';
import { AlertsStoppingError, positionOnStream, replayPlan, type StreamBounds } from './replay-positions.ts';
import { stateJsonInSlices } from './state-json.ts';

/** Bus messages handed over at once; also the consumers' unacknowledged bound. */
export const ALERT_BATCH_MESSAGES = 1_000;
/**
 * Group commit: a batch is what arrived while the previous one was evaluated and committed (up to
 * ALERT_BATCH_MESSAGES), never held back to fill up. At 50,000 trades/s a 20 ms fill wait alone exceeded
 * the in-app latency goal (10 ms); under load batches grow by themselves, so commits stay few.
 */
const GROUP_COMMIT = { maxMessages: ALERT_BATCH_MESSAGES, maxWaitMs: 0 };
/**
 * Trades evaluated between two event-loop turns (a few ms of work): the commit in flight and the rest of
 * the process get the loop between slices (see #evaluateTrades).
 */
export const EVAL_SLICE_TRADES = 1_000;
/** Firings a live (in-app) subscriber may have unread; past it the stream ends (re-subscribe, re-read). */
export const LIVE_QUEUE_PER_SUBSCRIBER = 256;
/** Pending delivery rows offered again per sweep (and never beyond the delivery queue's free room). */
export const SWEEP_BATCH = 500;
/**
 * Alerts one tenant may hold in any state (paused, expired and fired-out ones are not counted by the tier's
 * active cap): keeps `list` and the table bounded per tenant.
 */
export const MAX_ALERTS_PER_TENANT = 1_000;
/**
 * Delivery bookkeeping writes (attempt counts, outcomes) in flight. At the bound no NEW delivery is
 * started: the row stays pending, leased to this engine, and the next sweep offers it again. Jobs already
 * in the queue still write (at most one write per attempt and one per outcome each), so the set stays
 * below MAX_OUTCOME_WRITES + 2 x the delivery queue's capacity.
 */
export const MAX_OUTCOME_WRITES = 256;
/**
 * The evaluator state (about 9 MB of JSON at 100,000 alerts) is written at most this often, not with every
 * batch: each batch's transaction holds only its firings, deliveries and the committed positions.
 */
export const SNAPSHOT_EVERY_MS = 5_000;
/** Markets with deployments paused by a stale feed that a restart watches for their first trade. */
export const MAX_STALE_PAUSED_MARKETS = 10_000;
/** Resume attempts per market a restart watches (one per trade batch on it) before it gives up (logged). */
export const MAX_STALE_RESUME_ATTEMPTS = 5;
/** A delivery row's lease lasts at least this long (renewed every sweep while the queue holds it). */
export const MIN_DELIVERY_LEASE_MS = 60_000;

export interface AlertServiceOptions {
  db: Db;
  bus: MessageBus;
  clock: Clock;
  logger: Logger;
  /** One snapshot row per evaluator: the engine instance. */
  evaluatorId: string;
  delivery: DeliveryConfig;
  mailer?: AlertMailer;
  /** Usage metering: each stored firing counts once towards the tenant's `alertsFired`. */
  usage?: { add(tenantId: string, kind: 'alertsFired', amount: number): void };
  /** How often pending deliveries are offered again and expired alerts retired. */
  sweepEveryMs?: number;
  /** This engine's deployments, for "feed degraded" events and `pauseDeployment` (none: not reported). */
  deployments?: FeedDeploymentHooks;
  /** How often the evaluator state is stored with a batch's commit (default SNAPSHOT_EVERY_MS). */
  snapshotEveryMs?: number;
  /** Refuses alerts on markets this engine does not follow (none: every market is accepted). */
  followed?: FollowedMarkets;
  /** Stored closed candles: new indicator instances are seeded from them (none: they warm up live). */
  storedCandles?: StoredCandleReader;
  /** A stream's stored range (NATS): restored positions are checked against it at start. */
  streamBounds?: (stream: string) => Promise<StreamBounds>;
}

/** What the alert engine needs from the deployments this engine runs (the strategies service). */
export interface FeedDeploymentHooks {
  /** Deployments on this engine (running or paused) that trade venue/symbol. */
  tradingOn(venue: string, symbol: string): Array<{ deploymentId: string; tenantId: string }>;
  /** Pauses the tenant's running deployments on venue/symbol, with reason `FEED_STALE: ...`; their ids. */
  pauseForStaleFeed(tenantId: string, venue: string, symbol: string, detail: string): Promise<string[]>;
  /** Resumes the deployments paused by pauseForStaleFeed for venue/symbol (and only those); their ids. */
  resumeAfterStaleFeed(venue: string, symbol: string): Promise<string[]>;
}

interface Registered {
  rule: AlertRule;
  /** Epoch ms the rule started (row's updatedAt): the evaluator ignores earlier events for it. */
  activeFrom: number;
  channels: AlertChannel[];
  tenantId: string;
  tier: Tier;
}

/** An evaluated batch in the commit pipeline, with what its after-commit work needs. */
interface PendingBatch extends EvaluatedBatch {
  /** Evaluation order (1, 2, ...): a stored state covers every batch up to the one it was captured at. */
  index: number;
  /** Each firing's alert as registered when it was evaluated (its channels and tier, for delivery). */
  registered: (Registered | undefined)[];
  /** The evaluator state right after this batch (snapshot cadence): stored once the batch committed. */
  state: object | null;
}

/** What evaluating one bus batch produced: its firings and the stream's last sequence in it. */
interface Evaluation {
  firings: Firing[];
  last: number;
  mustWrite: boolean;
}

type Row = {
  id: string;
  tenantId: string;
  name: string;
  rule: unknown;
  channels: unknown;
  state: AlertStateView;
  createdAt: Date;
  updatedAt: Date;
};

/**
 * The alert engine in the engine: evaluates the active alerts on every trade (`market.trades.*`) and every
 * closed candle (`market.klines.*`), stores each firing with its pending deliveries and the committed
 * stream positions in one transaction, then publishes the firings that commit created on
 * `alerts.fired.<tenantId>` (in-app) and delivers them to the external channels (email, webhooks and chat
 * formats through @qt/alerts' DeliveryQueue) from the stored rows only. Also the API's `AlertsPort`.
 *
 * Latency. Batches are group commits: a batch is what arrived while the previous one was evaluated (never
 * held back to fill), so at a low rate each trade is evaluated on its own and under load the batches grow
 * by themselves. Commits are pipelined (commit-pipeline.ts): the next batch is evaluated while the
 * previous one's transaction is in flight, commits stay strictly in evaluation order, and batches that
 * waited are committed together in one transaction, so a slow commit (a checkpoint's fsync) delays the
 * firings behind it by its own length only, not by a backlog of commits one after the other. Trades are
 * evaluated in slices (EVAL_SLICE_TRADES) so the commit's round trips are not each held behind a whole
 * batch's evaluation (#evaluateTrades). A batch of
 * trades or candles that fired nothing writes nothing (its position goes with the next write). In-app
 * events wait for the commit of their own batch (an event for a firing that is then dropped, or never
 * stored, would be a notification with no record); the evaluator state is written apart, in the
 * background, and its writes never hold a batch.
 *
 * Restart guarantee. The bus is read through durable consumers (trades, candles, data quality). The
 * evaluator state (a few MB at 100,000 alerts: alerts that never fired are not stored) is captured
 * every SNAPSHOT_EVERY_MS (5 s) right after a batch is evaluated and stored only once that batch
 * committed, also on a quiet stream (a timer) and at stop, with the positions it covers, so it never
 * covers an event whose firings are not stored. On NATS each start recreates the consumers to deliver,
 * in stream order, from the message after the positions the restored state covers (replay-positions.ts):
 * after a clean stop that is exactly what was not committed; after a crash, or a commit that failed at
 * stop, the messages committed after the state was captured are evaluated again from that exact state,
 * reproduce the same deterministic firing ids (stored ON CONFLICT DO NOTHING: not created, so not shown
 * nor delivered again), and the uncommitted batches are evaluated in their place. Each firing is
 * produced once and none is missed while the stream still holds the messages (24 h of trades, 6 h of
 * candles). Because the restart starts from the stored positions and not from the consumer's
 * acknowledgements, a batch of trades or candles is acknowledged as soon as it is evaluated and queued
 * (#ackBeforeCommit) once a stored state covers a position on its stream; before that (a first start)
 * and for data-quality batches (their side effects follow the commit) the handler waits for the commit.
 * Replayed messages (at or before the committed positions) repeat no other side effect (#replayUntil);
 * with no alert loaded the positions still move on; a restored position the stream no longer holds is
 * checked at start (#checkPositionsOnStreams). On the in-process bus nothing survives the process: the
 * snapshot is restored (after a clean stop: no duplicate firing, `once`/per-bar/cooldown state kept, a
 * price that crossed a level while the engine was down fires on the first trade after; after a crash, the
 * state of the gap since the last snapshot is lost), but intrabar conditions that held only while the
 * engine was down are not seen; its batches are acknowledged once evaluated (see #ackBeforeCommit).
 * A failed commit (database down) is retried in place with backoff (100 ms doubling to 5 s) and no later
 * batch is committed meanwhile; later batches are evaluated until the pipeline's bounds (then the bus
 * holds the rest: at most ALERT_BATCH_MESSAGES unacknowledged per consumer, the NATS bus dropping the
 * server's redeliveries of the messages a waiting batch holds), so the stored position never moves past
 * an uncommitted batch. Only stop() ends the retries: that batch and every later one are then dropped,
 * the evaluator is rebuilt from the last stored snapshot (no final snapshot over it) and no later batch
 * is evaluated in this run (#handle), so the next start replays them.
 * API calls that change alerts wait for the evaluation of the batch in hand (one lock), and behind a
 * retrying commit only once the pipeline is full.
 *
 * Several engines. Each evaluates every alert; firing ids are deterministic (a `once` firing's id is
 * `<alertId>:once`) and a firing is stored only while its alert is active, so the first engine to commit
 * stores it and only that engine delivers it. Delivery rows are leased (claimed_by / claimed_until, taken
 * with FOR UPDATE SKIP LOCKED, renewed every sweep while the queue holds them, released at stop), so one
 * engine sends a row at a time; another takes it over only after the lease lapsed (the engine died).
 */
export class AlertService implements AlertsPort {
  readonly #o: AlertServiceOptions;
  readonly #store: AlertStore;
  readonly #log: Logger;
  readonly #alerts = new Map<string, Registered>();
  #evaluator = new AlertEvaluator();
  /**
   * The state last stored (the evaluator is rebuilt from it when a commit fails at stop): as restored, or
   * its JSON text once this run wrote one (not the object, which may share arrays with the evaluator).
   */
  #committedState: unknown = null;
  /** Per stream, the last sequence evaluated (batches in the commit pipeline included). */
  readonly #positions: Record<string, number> = {};
  /** Per stream, the last sequence whose batch committed (what a snapshot may cover). */
  #committedPositions: Record<string, number> = {};
  /**
   * Per stream, a position a stored state covers (NATS only): a restart resumes there, whatever the
   * consumer acknowledged, so the stream's batches may be acknowledged before their commit.
   */
  readonly #storedFrom: Record<string, number> = {};
  /** This evaluator's durable consumers (named after its id: only these are ever recreated), from start(). */
  consumers: readonly ConsumerSpec[] = [];
  /**
   * Per stream, the last sequence a previous run committed (from the replay plan): messages up to it are
   * evaluated again for the evaluator's sake only. Their side effects outside the firings table (pausing
   * or resuming deployments, "feed degraded" events for the deployments running NOW) ran, or were
   * deliberately not run, back then: repeating them would pause a deployment its owner resumed since.
   */
  readonly #replayUntil: Record<string, number> = {};
  /** When the state was last captured for storing (performance.now()). */
  #snapshotAt = Number.NEGATIVE_INFINITY;
  /** Index (stats.evaluated at its evaluation) of the last batch committed, and of the last a stored state covers. */
  #committedThrough = 0;
  #snapshotThrough = 0;
  /** A state captured and not stored yet (waiting for its batch's commit, or being written): one at a time. */
  #snapshotBusy = false;
  /** The background snapshot write in flight. */
  #snapshotting: Promise<void> | null = null;
  #snapshotTimer: NodeJS.Timeout | null = null;
  #lock: Promise<unknown> = Promise.resolve();
  readonly #pipeline: CommitPipeline<PendingBatch>;
  readonly #queue: DeliveryQueue;
  readonly #hub = new UpdateHub<AlertFiringView>(LIVE_QUEUE_PER_SUBSCRIBER);
  readonly #subs: Subscription[] = [];
  #sweepTimer: NodeJS.Timeout | null = null;
  #sweeping: Promise<void> | null = null;
  /** Deliveries started per tenant in the current UTC minute (cleared every minute). */
  #minute = -1;
  readonly #deliveriesThisMinute = new Map<string, number>();
  readonly #writes = new Set<Promise<unknown>>();
  /**
   * `<venue> <symbol>` of deployments a stale feed paused before this engine started (bounded by
   * MAX_STALE_PAUSED_MARKETS), with when they were paused and the resume attempts made: the first trade
   * on such a market after the pause resumes them (see #resumeOnTrades).
   */
  readonly #pausedByStaleFeed = new Map<string, { pausedAt: number; attempts: number; busy: boolean }>();
  #stopped = false;
  /** Aborted by stop(): ends a commit retry's wait at once. */
  readonly #stopping = new AbortController();
  readonly #leaseMs: number;
  /** Seeds new indicator instances from stored candles (indicator-warmup.ts); null without a reader. */
  readonly #warmup: IndicatorWarmup | null;
  readonly stats = {
    firings: 0,
    /** Bus batches evaluated and handed to the commit pipeline; `committed`: those whose commit went through. */
    evaluated: 0,
    committed: 0,
    snapshots: 0,
    commitFailures: 0,
    skippedReplays: 0,
    /** Messages a previous run committed, evaluated again at this start (replay-positions.ts). */
    replayed: 0,
    /** Consumers this run started at a stored stream position (the others start at the live edge). */
    resumedAt: 0,
    /** Firings the database refused for good (isolated from their batch and dropped, logged). */
    firingsDropped: 0,
    /** Commit transactions written (batches committed together count once; empty batches not at all). */
    commitTransactions: 0,
    tierLimited: 0,
    full: 0,
    /**
     * Milliseconds spent evaluating bus batches, in commit transactions, and capturing the state (its JSON
     * is written in slices afterwards, between batches: not counted).
     */
    evalMs: 0,
    commitMs: 0,
    snapshotMs: 0,
    /** The slowest commit transaction (ms). */
    commitMaxMs: 0,
  };

  constructor(o: AlertServiceOptions) {
    this.#o = o;
    this.#store = new AlertStore(o.db);
    this.#log = o.logger.child({ component: 'alerts' });
    this.#warmup = o.storedCandles
      ? new IndicatorWarmup({
          evaluator: () => this.#evaluator,
          serial: (fn) => this.#serial(fn),
          read: o.storedCandles,
          logger: this.#log,
        })
      : null;
    // Six sweeps' worth: a lease outlives a few failed renewals (a slow database), not an engine's death.
    this.#leaseMs = Math.max(MIN_DELIVERY_LEASE_MS, 6 * (o.sweepEveryMs ?? 5_000));
    this.#pipeline = new CommitPipeline<PendingBatch>({
      store: this.#store,
      evaluatorId: o.evaluatorId,
      bus: o.bus.kind,
      leaseMs: this.#leaseMs,
      logger: this.#log,
      stopping: this.#stopping.signal,
      stats: this.stats,
      committed: (batch, created) => this.#afterCommit(batch, created),
      abandoned: () => this.#abandoned(),
    });
    this.#queue = new DeliveryQueue({
      config: o.delivery,
      clock: o.clock,
      ...(o.mailer ? { mailer: o.mailer } : {}),
      onAttempt: (a) => this.#write(this.#store.recordAttempt(a.firingId, a.channelId, a.error)),
      onOutcome: (out) => this.#onOutcome(out),
    });
  }

  /** Batches evaluated whose commit has not gone through yet (the commit pipeline's length). */
  get uncommitted(): number {
    return this.#pipeline.size;
  }

  /** Loads the active alerts and the snapshot, then starts reading the bus and the delivery sweep. */
  async start(): Promise<void> {
    await this.#store.expire(this.#o.clock.now());
    for (const row of await this.#store.activeAlerts()) {
      try {
        this.#register(row.id, row.tenantId, row.tier, row.name, row.rule, row.channels, row.updatedAt);
      } catch (err) {
        this.#log.error({ alertId: row.id, err: errText(err) }, 'stored alert not loaded: invalid');
      }
    }
    const snap = await this.#store.loadSnapshot(this.#o.evaluatorId);
    if (snap) {
      try {
        this.#evaluator.restore(snap.state);
        this.#committedState = snap.state;
        // Sequences mean something only on the same durable stream: the in-process bus starts afresh.
        if (snap.positions.bus === 'nats' && this.#o.bus.kind === 'nats') {
          // The consumers are recreated to deliver right after what the restored state covers, in
          // order (see replay-positions.ts): what was committed since is evaluated again, exactly.
          const plan = replayPlan(snap.positions);
          Object.assign(this.#positions, plan.positions);
          Object.assign(this.#replayUntil, plan.committed);
          if (Object.keys(plan.replayed).length > 0)
            this.#log.info(
              { snapshot: plan.positions, replayed: plan.replayed },
              'alert state older than the last committed batch (crash or failed commit at stop): replaying from it',
            );
        }
      } catch (err) {
        this.#log.error({ err: errText(err) }, 'alert evaluator snapshot not restored: starting fresh');
      }
    }
    await this.#checkPositionsOnStreams();
    this.#committedPositions = { ...this.#positions };
    // Restored on NATS only (see above): the consumers start at these positions, whatever was acknowledged.
    Object.assign(this.#storedFrom, this.#positions);
    this.#committedState ??= JSON.stringify(this.#evaluator.snapshot());
    // After the restore: only instances it did not bring back ready are seeded from storage.
    this.#warmup?.start();
    if (this.#o.deployments) {
      const pauses = await this.#store.staleFeedPauses(MAX_STALE_PAUSED_MARKETS);
      for (const m of pauses)
        this.#pausedByStaleFeed.set(`${m.venue} ${m.symbol}`, {
          pausedAt: m.pausedAt,
          attempts: 0,
          busy: false,
        });
      // The oldest pauses beyond the bound are not watched: their feeds' next `feedLive` resumes them.
      if (pauses.length >= MAX_STALE_PAUSED_MARKETS)
        this.#log.warn(
          { limit: MAX_STALE_PAUSED_MARKETS },
          'more markets paused by a stale feed than watched: only the most recent are resumed on their first trade',
        );
    }
    this.#log.info(
      { alerts: this.#alerts.size, restored: snap !== null, positions: this.#positions },
      'alert engine loaded',
    );

    this.#subs.push(
      await this.#o.bus.subscribe(alertsFiredTopic, 'alerts.fired.>', (m) => {
        const tenantId = m.subject.slice('alerts.fired.'.length);
        this.#hub.publish(tenantId, m.data);
      }),
    );
    const name = consumerBaseName(this.#o.evaluatorId);
    const consumer = (stream: string, filter: string, durable: string): ConsumerSpec => ({
      durable,
      stream,
      filterSubject: filter,
      // A new evaluator starts at the live edge, not at a day of stored trades.
      deliver: 'new',
      // A restored one replays, in order, everything after the position its state covers.
      ...this.#startAt(stream),
      ackWaitMs: 30_000,
      // Redelivered for ever while the database is down: the stream is the buffer.
      maxDeliver: -1,
      maxAckPending: ALERT_BATCH_MESSAGES,
    });
    this.consumers = [
      consumer(streamNames.marketTrades, 'market.trades.>', `alerts-trades-${name}`),
      consumer(streamNames.marketKlines, 'market.klines.>', `alerts-klines-${name}`),
      consumer(streamNames.marketQuality, 'market.quality.>', `alerts-quality-${name}`),
    ];
    const [trades, klines, quality] = this.consumers as [ConsumerSpec, ConsumerSpec, ConsumerSpec];
    this.#subs.push(
      await this.#o.bus.consumeBatch(topics.marketTrades, trades, GROUP_COMMIT, (msgs) =>
        this.#onTrades(msgs),
      ),
      await this.#o.bus.consumeBatch(topics.marketKlines, klines, GROUP_COMMIT, (msgs) =>
        this.#onKlines(msgs),
      ),
      await this.#o.bus.consumeBatch(topics.marketQuality, quality, GROUP_COMMIT, (msgs) =>
        this.#onQuality(msgs),
      ),
    );
    const every = this.#o.sweepEveryMs ?? 5_000;
    this.#sweepTimer = setInterval(() => this.#sweepSoon(), every);
    this.#sweepTimer.unref();
    this.#sweepSoon();
    // A quiet stream has no batch to capture the state after: the timer stores it once it is due.
    this.#snapshotTimer = setInterval(() => this.#snapshotWhenQuiet(), this.#snapshotEvery());
    this.#snapshotTimer.unref();
  }

  /** The consumer's start: right after the stream's restored position, or (none) the live edge. */
  #startAt(stream: string): { startSeq?: number } {
    const at = this.#positions[stream] ?? 0;
    if (at <= 0) return {};
    this.stats.resumedAt++;
    return { startSeq: at + 1 };
  }

  /**
   * The restored positions against the streams as they are now (positionOnStream): a stream that was
   * reset loses its position (live edge), one trimmed past it says how many messages were never evaluated.
   */
  async #checkPositionsOnStreams(): Promise<void> {
    const bounds = this.#o.streamBounds;
    if (!bounds) return;
    for (const [stream, position] of Object.entries(this.#positions)) {
      const b = await bounds(stream).catch((err: unknown) => {
        this.#log.warn(
          { stream, err: errText(err) },
          'stream state not read: resuming at the stored position',
        );
        return null;
      });
      if (!b) continue;
      const at = positionOnStream(position, this.#replayUntil[stream] ?? position, b);
      if (at.kind === 'reset') {
        delete this.#positions[stream];
        delete this.#replayUntil[stream];
        this.#log.warn(
          { stream, position, lastSeq: b.lastSeq },
          'stream reset (stored alert position past its last message): starting at the live edge',
        );
      } else if (at.kind === 'trimmed') {
        this.#log.warn(
          { stream, position, firstSeq: b.firstSeq, lost: at.lost },
          'stream trimmed past the stored alert position: messages lost before they were evaluated',
        );
      }
    }
  }

  /**
   * Stops reading (the batch in its commit finishes; batches not evaluated yet are left unacknowledged
   * for the next start), stores a last snapshot, stops delivering (pending rows are offered again at the
   * next start) and waits for the outcome writes, within `budgetMs`.
   */
  async stop(budgetMs = 3_000): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopping.abort();
    this.#warmup?.stop();
    const deadline = performance.now() + budgetMs;
    if (this.#sweepTimer) clearInterval(this.#sweepTimer);
    if (this.#snapshotTimer) clearInterval(this.#snapshotTimer);
    for (const s of this.#subs.splice(0)) await s.unsubscribe().catch(() => undefined);
    // Both within the budget: a sweep or a commit stuck on a hung database must not hold the shutdown
    // (a commit ends at its statement timeout; a failed one is not retried after stop: commit-pipeline.ts).
    // The batches evaluated before stop() still commit, in order, behind the one in flight.
    await withinDeadline(this.#sweeping ?? Promise.resolve(), deadline);
    const drained = await withinDeadline(
      this.#lock.then(() => this.#pipeline.idle()),
      deadline,
    );
    // A batch still in its commit, or dropped: the state may be past what is stored, so no final snapshot.
    if (drained === true) await this.#finalSnapshot(deadline);
    else if (drained === TIMED_OUT)
      this.#log.warn('alert stop: a batch was still committing at the deadline; no final snapshot');
    this.#queue.close();
    const left = Math.max(0, deadline - performance.now());
    await Promise.race([
      Promise.allSettled([...this.#writes]),
      new Promise((r) => setTimeout(r, left).unref()),
    ]);
    // Another engine (or this one restarted) may send what is still pending without waiting for leases.
    const rest = Math.max(0, deadline - performance.now());
    await Promise.race([
      this.#store
        .releaseClaims(this.#o.evaluatorId)
        .catch((err: unknown) => this.#log.warn({ err: errText(err) }, 'delivery leases not released')),
      new Promise((r) => setTimeout(r, rest).unref()),
    ]);
  }

  // ----------------------------------------------------------------------------------------------
  // Evaluation

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#lock.then(fn);
    this.#lock = run.catch(() => undefined);
    return run;
  }

  /**
   * A bus batch: evaluated after every batch handed over before it, once the commit pipeline has room,
   * then queued for its commit (commit-pipeline.ts), which runs after the commits of the batches before
   * it. None is evaluated once stop() began (thrown back to the bus, not acknowledged): a batch committing
   * at that moment may fail, and a later batch committing would move the stored position past it (see
   * replay-positions.ts).
   *
   * Returns once the batch is queued when it may be acknowledged before its commit (#ackBeforeCommit),
   * otherwise (or with `waitForCommit`) once it committed; it throws if it was dropped (failure at stop),
   * so the bus redelivers it.
   */
  async #handle(
    stream: string,
    evaluate: () => Evaluation | Promise<Evaluation>,
    waitForCommit = false,
  ): Promise<void> {
    // One event-loop turn first: the in-process bus hands the next batch over in microtasks, and
    // evaluations back to back then starved the commit in flight of its I/O (Prisma gave up starting the
    // transaction after its 2 s wait for a connection, again and again).
    await nextTurn();
    // Wrapped: the lock is released once the batch is queued, not when its commit resolves.
    const { committed } = await this.#serial(async () => {
      if (this.#stopped) throw new AlertsStoppingError();
      await this.#pipeline.room();
      // stop() may have begun while this waited for room.
      if (this.#stopped) throw new AlertsStoppingError();
      // Once begun, a batch is evaluated to the end and queued even if stop() began meanwhile (a sliced
      // evaluation yields): the evaluator has then seen its messages, so its positions must go with them.
      return { committed: this.#enqueue(stream, await evaluate()) };
    });
    if (waitForCommit || !this.#ackBeforeCommit(stream)) return committed;
    // Acknowledged now: a drop (failure at stop) is logged by the pipeline and replayed at the next start.
    committed.catch(() => undefined);
  }

  /**
   * Whether a batch of `stream` may be acknowledged before its commit: only when a restart evaluates it
   * again anyway if it never commits. On NATS that holds once a stored state covers a position on the
   * stream: each start recreates the consumer at the position after the restored state's
   * (replay-positions.ts), which is at or before the first uncommitted batch, and ignores what the
   * consumer acknowledged; a stream with no stored position (a first start, until the first snapshot is
   * written) resumes from the consumer's acknowledgements, so its batches wait for their commit.
   * On the in-process bus always: the bus ends with the process, so a batch held unacknowledged would
   * be lost with it all the same (while the database is down the pipeline's bounds still hold the rest
   * on the bus). This once stalled at full benchmark size: back-to-back evaluations of whole batches
   * made every round trip of the commit in flight wait for one, so Prisma gave up starting its
   * transaction (2 s) again and again; trades are now evaluated in slices (#evaluateTrades).
   */
  #ackBeforeCommit(stream: string): boolean {
    if (this.#o.bus.kind !== 'nats') return true;
    return (this.#storedFrom[stream] ?? 0) > 0;
  }

  /**
   * The messages of a batch not evaluated yet, and the batch's last sequence. Sequences are positions on
   * this run's stream on both buses (restored from the snapshot on NATS only): a message at or before the
   * last committed one was evaluated already (a redelivery) and is skipped.
   */
  #unseen<T>(stream: string, msgs: BusMessage<T>[]): { fresh: BusMessage<T>[]; last: number } {
    let last = this.#positions[stream] ?? 0;
    const fresh: BusMessage<T>[] = [];
    for (const m of msgs) {
      if (m.seq <= last) {
        this.stats.skippedReplays++;
        continue;
      }
      last = m.seq;
      if (this.#isReplay(stream, m.seq)) this.stats.replayed++;
      fresh.push(m);
    }
    return { fresh, last };
  }

  /** A message a previous run committed, evaluated again at this start (see #replayUntil). */
  #isReplay(stream: string, seq: number): boolean {
    return seq <= (this.#replayUntil[stream] ?? 0);
  }

  #onTrades(msgs: BusMessage<TradeBatch>[]): Promise<void> {
    return this.#handle(streamNames.marketTrades, () => this.#evaluateTrades(msgs));
  }

  /**
   * Evaluates a trades batch in slices of about EVAL_SLICE_TRADES trades with an event-loop turn between
   * them. A full batch (ALERT_BATCH_MESSAGES messages, 10,000 trades at 100,000 alerts) is tens of ms of
   * work, hundreds on a loaded machine: evaluated in one go, back to back with the next (batches are
   * acknowledged before their commit, so the bus hands the next one over at once), every round trip of the
   * commit in flight waited a whole evaluation (BEGIN, statements, COMMIT: five), so a commit took seconds
   * and, on a loaded machine, Prisma gave up starting its transaction (2 s) again and again. The lock is
   * held throughout (API changes wait); the evaluator is the one the batch began on (a failed commit at
   * stop rebuilds it: the batch is then refused by the pipeline anyway).
   */
  async #evaluateTrades(msgs: BusMessage<TradeBatch>[]): Promise<Evaluation> {
    const stream = streamNames.marketTrades;
    const evaluator = this.#evaluator;
    const firings: Firing[] = [];
    const { fresh, last } = this.#unseen(stream, msgs);
    if (this.#pausedByStaleFeed.size > 0) this.#resumeOnTrades(msgs);
    let slice = 0;
    let t0 = performance.now();
    for (const m of this.#alerts.size === 0 ? [] : fresh) {
      if (slice >= EVAL_SLICE_TRADES) {
        this.stats.evalMs += performance.now() - t0;
        await nextTurn();
        slice = 0;
        t0 = performance.now();
      }
      slice += m.data.trades.length;
      for (const t of m.data.trades) {
        const out = evaluator.onTrade({
          venue: t.venue,
          symbol: t.symbol,
          tradeId: t.tradeId,
          price: t.price,
          qty: t.quantity,
          ts: t.exchangeTime,
        });
        for (const f of out) firings.push(this.#stableId(f));
      }
    }
    this.stats.evalMs += performance.now() - t0;
    return { firings, last, mustWrite: false };
  }

  #onKlines(msgs: BusMessage<Kline>[]): Promise<void> {
    return this.#handle(streamNames.marketKlines, () => this.#evaluateKlines(msgs));
  }

  #evaluateKlines(msgs: BusMessage<Kline>[]): Evaluation {
    const stream = streamNames.marketKlines;
    const firings: Firing[] = [];
    const { fresh, last } = this.#unseen(stream, msgs);
    for (const m of fresh) {
      const k = m.data;
      if (!k.closed || this.#alerts.size === 0) continue;
      for (const f of this.#evaluator.onCandle({
        venue: k.venue,
        symbol: k.symbol,
        interval: k.interval,
        openTime: k.openTime,
        closeTime: k.closeTime,
        open: k.open,
        high: k.high,
        low: k.low,
        close: k.close,
        baseVolume: k.baseVolume,
      }))
        firings.push(this.#stableId(f));
    }
    return { firings, last, mustWrite: false };
  }

  /**
   * Data-quality events (`market.quality.*`, from every engine's feeds): evaluated like trades, with the
   * same commit and position. A stale feed also becomes a "feed degraded" event for each deployment this
   * engine runs on it (id `degraded:<deploymentId>:<staleEventId>`: the same on a redelivery). After the
   * commit, on every engine (each pauses only the runners it holds): a `pauseDeployment` firing of a
   * stale feed pauses the tenant's deployments on it; `feedLive` resumes those it paused. The handler
   * waits for the commit and runs these before it returns, so they follow the stream's order; with
   * alerts loaded the batch's position is written even when it fired nothing (it tells a replay which of
   * these ran).
   */
  async #onQuality(msgs: BusMessage<DataQualityMessage>[]): Promise<void> {
    const stream = streamNames.marketQuality;
    const firings: Firing[] = [];
    const live: DataQualityMessage[] = [];
    /** Pausing firings of messages past what a previous run committed (the others ran their pause then). */
    const pausing = new Set<string>();
    await this.#handle(stream, () => this.#evaluateQuality(msgs, firings, live, pausing), true);
    const hooks = this.#o.deployments;
    if (!hooks) return;
    for (const f of firings) {
      if (!f.pauseDeployment || f.event !== 'feedStale' || !f.venue || !f.symbol) continue;
      if (!pausing.has(f.id)) continue;
      await hooks
        .pauseForStaleFeed(f.tenantId, f.venue, f.symbol, `${f.venue} ${f.symbol} (alert ${f.alertName})`)
        .catch((err: unknown) => this.#log.warn({ err: errText(err), firingId: f.id }, 'feed pause failed'));
    }
    for (const q of live) {
      const resumed = await hooks.resumeAfterStaleFeed(q.venue, q.symbol).then(
        () => true,
        (err: unknown) => {
          this.#log.warn({ err: errText(err), event: q.id }, 'feed resume failed');
          return false;
        },
      );
      // Watched by #resumeOnTrades until a resume went through (a failed one is tried on the next trade).
      if (resumed) this.#pausedByStaleFeed.delete(`${q.venue} ${q.symbol}`);
    }
  }

  /** Evaluates a data-quality batch (see #onQuality): fills `firings`, `live` and `pausing`. */
  #evaluateQuality(
    msgs: BusMessage<DataQualityMessage>[],
    firings: Firing[],
    live: DataQualityMessage[],
    pausing: Set<string>,
  ): Evaluation {
    const stream = streamNames.marketQuality;
    const { fresh, last } = this.#unseen(stream, msgs);
    for (const m of fresh) {
      const q = m.data;
      const replay = this.#isReplay(stream, m.seq);
      if (q.kind === 'feedLive') {
        if (!replay) live.push(q);
        continue;
      }
      if (this.#alerts.size === 0) continue;
      const base = { venue: q.venue, symbol: q.symbol, at: q.at, ...(q.detail ? { detail: q.detail } : {}) };
      for (const f of this.#evaluator.onDataQuality({ ...base, kind: q.kind, id: q.id })) {
        const fired = this.#stableId(f);
        firings.push(fired);
        if (!replay) pausing.add(fired.id);
      }
      // A replayed stale event's "feed degraded" events were made then, for the deployments running then.
      if (q.kind !== 'feedStale' || replay) continue;
      for (const d of this.#o.deployments?.tradingOn(q.venue, q.symbol) ?? []) {
        const event = {
          ...base,
          kind: 'deploymentFeedDegraded' as const,
          id: `degraded:${d.deploymentId}:${q.id}`,
          deploymentId: d.deploymentId,
        };
        for (const f of this.#evaluator.onDataQuality(event)) firings.push(this.#stableId(f));
      }
    }
    return { firings, last, mustWrite: this.#alerts.size > 0 };
  }

  /**
   * A restart forgets which feeds were stale: the deployments a stale feed paused before it (their stored
   * reason says so) are resumed when their market trades again after the pause (exchange time after the
   * paused row's last change: a late or replayed trade from before it proves nothing about the feed now).
   * The market is forgotten only once a resume went through; a failed one is tried again on the market's
   * next batch, up to MAX_STALE_RESUME_ATTEMPTS (then logged and left to the next `feedLive`). Not
   * awaited: a resume goes through the tier cap's transaction and must not hold up the evaluation.
   */
  #resumeOnTrades(msgs: BusMessage<TradeBatch>[]): void {
    const hooks = this.#o.deployments;
    if (!hooks) return;
    for (const m of msgs) {
      const key = `${m.data.venue} ${m.data.symbol}`;
      const watch = this.#pausedByStaleFeed.get(key);
      if (!watch || watch.busy) continue;
      if (!m.data.trades.some((t) => t.exchangeTime > watch.pausedAt)) continue;
      watch.busy = true;
      watch.attempts++;
      void hooks
        .resumeAfterStaleFeed(m.data.venue, m.data.symbol)
        .then((ids) => {
          this.#pausedByStaleFeed.delete(key);
          if (ids.length > 0)
            this.#log.info({ market: key, deployments: ids }, 'feed live: deployments resumed');
        })
        .catch((err: unknown) => {
          const givingUp = watch.attempts >= MAX_STALE_RESUME_ATTEMPTS;
          if (givingUp) this.#pausedByStaleFeed.delete(key);
          this.#log.warn(
            { err: errText(err), market: key, attempt: watch.attempts, givingUp },
            'feed resume failed',
          );
        })
        .finally(() => {
          watch.busy = false;
        });
    }
  }

  /**
   * A `once` alert fires once whatever trade fired it: its firing id is the alert's, so two engines (or
   * an engine that started later and measures crossings from another previous price) store one firing.
   */
  #stableId(f: Firing): Firing {
    if (!f.final || this.#alerts.get(f.alertId)?.rule.trigger.mode !== 'once') return f;
    return { ...f, id: `${f.alertId}:once` };
  }

  /**
   * Hands an evaluated batch to the commit pipeline (called under the evaluation lock, so batches are
   * queued in evaluation order). What the commit stores is fixed now: the firings with the channels of
   * their alert as evaluated (the after-commit work delivers to those), and the evaluated position of
   * every stream. When the snapshot is due, the state is captured now, right after this batch, while it
   * covers exactly the batch's positions; it is stored once the batch committed (#afterCommit).
   */
  #enqueue(stream: string, ev: Evaluation): Promise<void> {
    // A commit failed at stop while this batch was being evaluated (between slices): the evaluator went
    // back to the stored state; the batch must not move the positions past it.
    if (this.#pipeline.abandoned) return Promise.reject(new AlertsStoppingError());
    if (ev.last > (this.#positions[stream] ?? 0)) this.#positions[stream] = ev.last;
    const registered = ev.firings.map((f) => this.#alerts.get(f.alertId));
    const batch: PendingBatch = {
      index: ++this.stats.evaluated,
      positions: { ...this.#positions },
      firings: ev.firings.map((firing, i) => ({
        firing,
        channelIds: registered[i]?.channels.map((c) => c.id) ?? [],
      })),
      mustWrite: ev.mustWrite,
      registered,
      state: this.#snapshotDue() ? this.#captureState() : null,
    };
    return this.#pipeline.push(batch);
  }

  /**
   * A batch's transaction committed (in evaluation order): only now is anything shown in-app
   * (`alerts.fired.<tenantId>`) or sent to an external channel, and only for the firings this commit
   * created: a firing dropped because its alert is no longer active (paused by its owner, fired out by
   * another engine) or stored already (a replay) is never shown, and a batch whose commit never succeeds
   * shows nothing. A state captured with the batch is stored now (it covers only committed batches).
   */
  #afterCommit(batch: PendingBatch, created: Set<string>): void {
    this.#committedPositions = batch.positions;
    this.#committedThrough = batch.index;
    this.stats.committed++;
    batch.firings.forEach(({ firing: f }, i) => {
      // Read at evaluation, before a final firing unregisters its alert: a `once` firing is delivered now
      // too, not only by the next sweep.
      const reg = batch.registered[i];
      // The commit marked the alert fired out (whether or not this firing was new): so does the engine.
      if (f.final) this.#unregister(f.alertId);
      // `created` is the transaction's (batches that waited share one): the first batch holding a
      // firing id announces it; a later batch of the same transaction that fired it again (its alert
      // re-registered by a pause/resume meanwhile) does not show or count it twice.
      if (!created.delete(f.id)) return;
      this.stats.firings++;
      this.#o.usage?.add(f.tenantId, 'alertsFired', 1);
      this.#publishLive(f);
      for (const channel of reg?.channels ?? []) this.#offer(f, channel, reg?.tier ?? 'FREE', 0);
    });
    if (batch.state) this.#storeState(batch.state, batch.positions, batch.index);
  }

  /**
   * A commit failed at stop: the pipeline dropped it and every later batch. The evaluator goes back to the
   * last stored state (it had evaluated the dropped batches) and nothing more is evaluated in this run, so
   * no final snapshot is written over positions it has not seen; the next start replays them.
   */
  #abandoned(): void {
    this.#rebuild();
    for (const k of Object.keys(this.#positions)) delete this.#positions[k];
    Object.assign(this.#positions, this.#committedPositions);
  }

  /** The live (in-app) event of a firing; best effort (the notification centre reads the table). */
  #publishLive(f: Firing): void {
    this.#o.bus
      .publish(alertsFiredTopic, alertsFiredSubject(f.tenantId), firingView(f, null), { msgId: f.id })
      .catch((err: unknown) =>
        this.#log.warn({ err: errText(err), firingId: f.id }, 'alerts.fired not published'),
      );
  }

  #snapshotEvery(): number {
    return this.#o.snapshotEveryMs ?? SNAPSHOT_EVERY_MS;
  }

  /** snapshotEveryMs passed since the last capture, and no captured state is waiting or being written. */
  #snapshotDue(): boolean {
    if (this.#stopped || this.#snapshotBusy) return false;
    return performance.now() - this.#snapshotAt >= this.#snapshotEvery();
  }

  /** The evaluator state now, in one go (a private copy: it is serialised in slices later). */
  #captureState(): object {
    const t0 = performance.now();
    const state = this.#evaluator.snapshot();
    this.stats.snapshotMs += performance.now() - t0;
    // Also when its write fails: tried again one interval later, not at every batch.
    this.#snapshotAt = performance.now();
    this.#snapshotBusy = true;
    return state;
  }

  /**
   * Writes a captured state covering `covers` (batches up to `through`, all committed) without holding
   * up any batch: serialised in slices, then one statement. A failed write only leaves the previous
   * snapshot (what a crash would leave).
   */
  #storeState(state: object, covers: Record<string, number>, through: number): void {
    const positions: AlertPositions = { bus: this.#o.bus.kind, streams: covers, committed: covers };
    let json = '';
    this.#snapshotting = stateJsonInSlices(state)
      .then((text) => {
        json = text;
        return this.#store.writeSnapshot(this.#o.evaluatorId, text, positions);
      })
      .then(() => {
        // The JSON, not the object: the object may share arrays the evaluator goes on changing.
        this.#committedState = json;
        this.#snapshotThrough = Math.max(this.#snapshotThrough, through);
        this.stats.snapshots++;
        if (positions.bus === 'nats') Object.assign(this.#storedFrom, covers);
      })
      .catch((err: unknown) => this.#log.warn({ err: errText(err) }, 'alert snapshot not stored'))
      .finally(() => {
        this.#snapshotting = null;
        this.#snapshotBusy = false;
      });
  }

  /**
   * The timer's snapshot, for a stream that went quiet after batches the stored state does not cover:
   * otherwise a restart would replay everything since the last busy period's snapshot. Under the
   * evaluation lock with the pipeline empty, the evaluator covers exactly the committed positions.
   */
  #snapshotWhenQuiet(): void {
    if (!this.#snapshotDue() || this.#committedThrough <= this.#snapshotThrough) return;
    if (this.#pipeline.size > 0) return;
    void this.#serial(async () => {
      if (!this.#snapshotDue() || this.#pipeline.size > 0) return;
      this.#storeState(this.#captureState(), { ...this.#committedPositions }, this.#committedThrough);
    });
  }

  /**
   * After the last batch: stores the state covering every committed batch, so a clean restart resumes
   * exactly where this run stopped (no gap between the state and the acknowledged positions). Only once
   * every evaluated batch committed (the caller waited for the pipeline). Within the stop budget; a
   * failure only leaves the previous snapshot (what a crash would leave).
   */
  async #finalSnapshot(deadline: number): Promise<void> {
    if ((await withinDeadline(this.#snapshotting ?? Promise.resolve(), deadline)) === TIMED_OUT) return;
    if (this.#committedThrough <= this.#snapshotThrough) return;
    const positions: AlertPositions = {
      bus: this.#o.bus.kind,
      streams: { ...this.#committedPositions },
      committed: { ...this.#committedPositions },
    };
    const through = this.#committedThrough;
    const left0 = Math.max(1, deadline - performance.now());
    const write = this.#store
      .writeSnapshot(this.#o.evaluatorId, JSON.stringify(this.#evaluator.snapshot()), positions, {
        maxWaitMs: left0,
        timeoutMs: left0,
      })
      .then(() => {
        this.#snapshotThrough = through;
        this.stats.snapshots++;
      })
      .catch((err: unknown) => this.#log.warn({ err: errText(err) }, 'final alert snapshot not stored'));
    const left = Math.max(0, deadline - performance.now());
    await Promise.race([write, new Promise((r) => setTimeout(r, left).unref())]);
  }

  /** A fresh evaluator with the registered alerts and the last committed state (after a failed commit). */
  #rebuild(): void {
    const ev = new AlertEvaluator();
    for (const reg of this.#alerts.values()) ev.add(reg.rule, { activeFrom: reg.activeFrom });
    const s = this.#committedState;
    if (s !== null) ev.restore(typeof s === 'string' ? JSON.parse(s) : s);
    this.#evaluator = ev;
  }

  #register(
    id: string,
    tenantId: string,
    tier: Tier,
    name: string,
    stored: unknown,
    channels: unknown,
    startedAt: Date,
  ): void {
    const rule = parseAlertRule({ ...(stored as object), id, tenantId, name });
    const parsed = parseChannels(channels);
    if (this.#evaluator.has(id)) this.#evaluator.remove(id);
    // From the row's time, not now: a restart replaying the streams (NATS) must not evaluate the alert
    // on events from before it existed (or before this version of it), which the run never did.
    const activeFrom = startedAt.getTime();
    this.#evaluator.add(rule, { activeFrom });
    this.#warmup?.schedule();
    this.#alerts.set(id, { rule, activeFrom, channels: parsed, tenantId, tier });
  }

  #unregister(id: string): void {
    this.#evaluator.remove(id);
    this.#alerts.delete(id);
  }

  // ----------------------------------------------------------------------------------------------
  // Delivery

  /**
   * Hands one (firing, channel) to the delivery queue, within the tenant's deliveries per minute.
   * `attempts`: those already made (the stored count), so a restart does not grant maxAttempts afresh.
   * Order matters: a job the queue holds or finished recently is left alone BEFORE any check that could
   * mark the row dead (a sweep reading a row whose retry is waiting, or whose outcome is being written).
   */
  #offer(f: Firing, channel: AlertChannel, tier: Tier, attempts: number): void {
    if (this.#stopped) return;
    const key = DeliveryQueue.keyOf({ firing: f, channel });
    if (this.#queue.has(key)) {
      // Finished here but still pending in the table: that outcome write was lost; write it again.
      const done = this.#queue.finishedOutcome(key);
      if (done) this.#onOutcome(done);
      return;
    }
    if (attempts >= this.#o.delivery.maxAttempts) {
      this.#write(
        this.#store.recordOutcome(f.id, channel.id, {
          status: 'dead',
          reason: 'exhausted',
          error: `${attempts} attempts`,
        }),
      );
      return;
    }
    // Bookkeeping is backing up (a slow database): start nothing new; the row stays pending, leased to
    // this engine, and the next sweep offers it again.
    if (this.#writes.size >= MAX_OUTCOME_WRITES) {
      this.stats.full++;
      return;
    }
    const minute = Math.floor(this.#o.clock.now() / 60_000);
    if (minute !== this.#minute) {
      this.#minute = minute;
      this.#deliveriesThisMinute.clear();
    }
    const used = this.#deliveriesThisMinute.get(f.tenantId) ?? 0;
    const limit = TIER_CAPS[tier].alertDeliveriesPerMinute;
    if (used >= limit) {
      // Dead, not deferred: a tenant firing faster than its plan must not build an unbounded backlog.
      this.stats.tierLimited++;
      this.#write(
        this.#store.recordOutcome(f.id, channel.id, {
          status: 'dead',
          reason: 'tierLimit',
          error: `the ${tier} plan delivers at most ${limit} alerts per minute`,
        }),
      );
      return;
    }
    const r = this.#queue.enqueue({ firing: f, channel }, attempts);
    if (r === 'queued') this.#deliveriesThisMinute.set(f.tenantId, used + 1);
    // 'full': the row stays pending (leased to this engine) and the sweep offers it again.
    else if (r === 'full') this.stats.full++;
  }

  #onOutcome(out: DeliveryOutcome): void {
    this.#write(
      this.#store.recordOutcome(
        out.firingId,
        out.channelId,
        out.result === 'delivered'
          ? { status: 'sent' }
          : { status: 'dead', reason: out.reason, error: out.error },
      ),
    );
  }

  /** Delivery bookkeeping writes; failures are logged (the row stays pending: offered again later). */
  #write(p: Promise<unknown>): void {
    const tracked = p
      .catch((err: unknown) => this.#log.warn({ err: errText(err) }, 'alert delivery state not written'))
      .finally(() => this.#writes.delete(tracked));
    this.#writes.add(tracked);
  }

  #sweepSoon(): void {
    if (this.#sweeping || this.#stopped) return;
    this.#sweeping = this.#sweep()
      .catch((err: unknown) => this.#log.warn({ err: errText(err) }, 'alert sweep failed'))
      .finally(() => {
        this.#sweeping = null;
      });
  }

  /**
   * Retires expired alerts; renews this engine's leases on the deliveries its queue holds; claims and
   * offers pending deliveries again (after a restart, a full queue, a lost write, another engine's
   * death), leaving out those the queue holds and those another live engine leased.
   */
  async #sweep(): Promise<void> {
    const expired = await this.#store.expire(this.#o.clock.now());
    if (expired.length > 0) {
      await this.#serial(async () => {
        for (const id of expired) this.#unregister(id);
      });
    }
    const held = this.#queue.heldJobs();
    await this.#store.renewClaims(this.#o.evaluatorId, held, this.#leaseMs);
    const room = Math.min(SWEEP_BATCH, this.#o.delivery.queueCapacity - this.#queue.size);
    const rows = await this.#store.claimPendingDeliveries(this.#o.evaluatorId, room, held, this.#leaseMs);
    for (const row of rows) {
      const channel = parseChannels(row.channels).find((c) => c.id === row.channelId);
      if (!channel) {
        this.#write(
          this.#store.recordOutcome(row.firingId, row.channelId, {
            status: 'dead',
            reason: 'refused',
            error: 'the channel was removed from the alert',
          }),
        );
        continue;
      }
      this.#offer(row.payload, channel, row.tier, row.attempts);
    }
  }

  // ----------------------------------------------------------------------------------------------
  // API (AlertsPort)

  async create(scope: AlertScope, input: CreateAlertInput): Promise<AlertView> {
    const id = randomUUID();
    const rule = validRule({ ...input, id, tenantId: scope.tenantId });
    await this.#o.followed?.check(rule);
    await this.#checkDeployment(scope.tenantId, rule);
    const channels = parseChannels(input.channels);
    await this.#checkEmails(scope.tenantId, channels);
    const row = await withinTierCap(this.#o.db, {
      tenantId: scope.tenantId,
      kind: 'activeAlerts',
      count: (tx) => tx.alert.count({ where: { tenantId: scope.tenantId, state: 'active' } }),
      create: async (tx) => {
        if ((await tx.alert.count({ where: { tenantId: scope.tenantId } })) >= MAX_ALERTS_PER_TENANT) {
          throw new AppError(
            'TIER_LIMIT_REACHED',
            `A workspace holds at most ${MAX_ALERTS_PER_TENANT} alerts in all. Delete old ones first.`,
            { limit: MAX_ALERTS_PER_TENANT, kind: 'alerts' },
          );
        }
        return tx.alert.create({
          data: {
            id,
            tenantId: scope.tenantId,
            name: rule.name,
            rule: storedRule(rule),
            channels: channels as unknown as object[],
          },
        });
      },
      committed: (r) =>
        this.#serial(async () =>
          this.#register(r.id, r.tenantId, scope.tier, r.name, r.rule, r.channels, r.updatedAt),
        ),
    });
    return this.#view(row as Row);
  }

  async list(scope: AlertScope, input: { state?: AlertStateView | undefined }): Promise<AlertView[]> {
    const rows = await this.#o.db.alert.findMany({
      where: { tenantId: scope.tenantId, ...(input.state ? { state: input.state } : {}) },
      orderBy: { createdAt: 'desc' },
      take: 1_000,
    });
    return rows.map((r) => this.#view(r as Row));
  }

  async get(scope: AlertScope, alertId: string): Promise<AlertView> {
    return this.#view(await this.#own(scope, alertId));
  }

  async update(scope: AlertScope, input: UpdateAlertInput): Promise<AlertView> {
    const row = await this.#own(scope, input.alertId);
    const before = row.rule as Record<string, unknown>;
    const merged: Record<string, unknown> = { ...before, name: input.name ?? row.name };
    for (const k of ['venue', 'symbol', 'condition', 'trigger', 'expiresAt', 'message'] as const) {
      if (input[k] !== undefined) merged[k] = input[k];
    }
    const rule = validRule({ ...merged, id: row.id, tenantId: scope.tenantId });
    // Only a changed market or condition is checked: a rename or a channels edit of an alert whose market
    // is no longer followed here stays possible.
    if (marketChanged(before, rule)) await this.#o.followed?.check(rule);
    await this.#checkDeployment(scope.tenantId, rule);
    const channels = input.channels ? parseChannels(input.channels) : parseChannels(row.channels);
    if (input.channels) await this.#checkEmails(scope.tenantId, channels);
    return this.#serial(async () => {
      const updated = await this.#o.db.alert.update({
        where: { id: row.id },
        data: { name: rule.name, rule: storedRule(rule), channels: channels as unknown as object[] },
      });
      // A changed rule starts afresh (its crossings are measured from the market's last price).
      if (updated.state === 'active')
        this.#register(
          updated.id,
          updated.tenantId,
          scope.tier,
          updated.name,
          updated.rule,
          updated.channels,
          updated.updatedAt,
        );
      return this.#view(updated as Row);
    });
  }

  async pause(scope: AlertScope, alertId: string): Promise<AlertView> {
    const row = await this.#own(scope, alertId);
    if (row.state !== 'active' && row.state !== 'paused') throw stateConflict(row.state, 'paused');
    return this.#serial(async () => {
      const updated = await this.#o.db.alert.update({ where: { id: row.id }, data: { state: 'paused' } });
      this.#unregister(row.id);
      return this.#view(updated as Row);
    });
  }

  async resume(scope: AlertScope, alertId: string): Promise<AlertView> {
    const row = await this.#own(scope, alertId);
    if (row.state === 'active') return this.#view(row);
    if (row.state !== 'paused') throw stateConflict(row.state, 'active');
    const rule = validRule({ ...(row.rule as object), id: row.id, tenantId: scope.tenantId, name: row.name });
    if (rule.expiresAt !== null && rule.expiresAt <= this.#o.clock.now())
      throw new AppError('VALIDATION_FAILED', 'This alert has expired: set a later expiresAt first.');
    await this.#o.followed?.check(rule);
    const updated = await withinTierCap(this.#o.db, {
      tenantId: scope.tenantId,
      kind: 'activeAlerts',
      count: (tx) => tx.alert.count({ where: { tenantId: scope.tenantId, state: 'active' } }),
      create: (tx) => tx.alert.update({ where: { id: row.id }, data: { state: 'active' } }),
      committed: (r) =>
        this.#serial(async () =>
          this.#register(r.id, r.tenantId, scope.tier, r.name, r.rule, r.channels, r.updatedAt),
        ),
    });
    return this.#view(updated as Row);
  }

  async delete(scope: AlertScope, alertId: string): Promise<{ deleted: true }> {
    const row = await this.#own(scope, alertId);
    await this.#serial(async () => {
      await this.#o.db.alert.deleteMany({ where: { id: row.id, tenantId: scope.tenantId } });
      this.#unregister(row.id);
    });
    return { deleted: true };
  }

  async history(
    scope: AlertScope,
    input: AlertHistoryInput,
  ): Promise<{ items: AlertFiringView[]; next: string | null }> {
    let before: { at: Date; id: string } | null = null;
    if (input.before !== undefined) {
      const m = /^(\d{1,16}):(.{1,180})$/.exec(input.before);
      if (!m || Number(m[1]) > 8_640_000_000_000_000)
        throw new AppError('INVALID_CURSOR', 'That page cursor is not one this API returned. Omit `before`.');
      before = { at: new Date(Number(m[1])), id: m[2] as string };
    }
    const rows = await this.#o.db.alertFiring.findMany({
      where: {
        tenantId: scope.tenantId,
        ...(input.alertId ? { alertId: input.alertId } : {}),
        ...(input.unreadOnly ? { readAt: null } : {}),
        ...(before
          ? { OR: [{ firedAt: { lt: before.at } }, { firedAt: before.at, id: { lt: before.id } }] }
          : {}),
      },
      orderBy: [{ firedAt: 'desc' }, { id: 'desc' }],
      take: input.limit + 1,
      include: { deliveries: { orderBy: { channelId: 'asc' } } },
    });
    const page = rows.slice(0, input.limit);
    const lastRow = page[page.length - 1];
    return {
      items: page.map((r) => firingView(r.payload as unknown as Firing, r.readAt, r.deliveries)),
      next: rows.length > input.limit && lastRow ? `${lastRow.firedAt.getTime()}:${lastRow.id}` : null,
    };
  }

  async markRead(scope: AlertScope, input: MarkReadInput): Promise<{ updated: number }> {
    const r = await this.#o.db.alertFiring.updateMany({
      where: {
        tenantId: scope.tenantId,
        readAt: null,
        ...('firingIds' in input ? { id: { in: input.firingIds } } : {}),
      },
      data: { readAt: new Date(this.#o.clock.now()) },
    });
    return { updated: r.count };
  }

  firings(scope: AlertScope, signal: AbortSignal): AsyncIterable<AlertFiringView> {
    return this.#hub.subscribe(scope.tenantId, signal);
  }

  /** The API's view, with how far the alert's bar history is on this engine (active alerts only). */
  #view(row: Row): AlertView {
    const view = alertView(row, this.#o.delivery);
    const warmup = row.state === 'active' ? this.#evaluator.warmupStatus(row.id, this.#o.clock.now()) : null;
    return warmup ? { ...view, warmup } : view;
  }

  async #own(scope: AlertScope, alertId: string): Promise<Row> {
    const row = await this.#o.db.alert.findFirst({ where: { id: alertId, tenantId: scope.tenantId } });
    if (!row) throw new AppError('NOT_FOUND', 'No such alert.', { alertId });
    return row as Row;
  }

  /**
   * A data-quality rule naming a deployment names one of this tenant's: the evaluator matches the
   * deployment id alone, so another tenant's id would leak its feed incidents.
   */
  async #checkDeployment(tenantId: string, rule: AlertRule): Promise<void> {
    const id = rule.condition.kind === 'dataQuality' ? rule.condition.deploymentId : undefined;
    if (id === undefined) return;
    // Deployment ids are UUIDs (a uuid column): anything else names no deployment, not a database error.
    const own = UUID.test(id)
      ? await this.#o.db.strategyDeployment.findFirst({ where: { id, tenantId }, select: { id: true } })
      : null;
    if (!own) {
      throw new AppError('NOT_FOUND', 'No such deployment in this workspace.', { deploymentId: id });
    }
  }

  /**
   * Alert emails go only to verified members of the tenant: an alert must not become a way to send mail
   * from our servers to anyone.
   */
  async #checkEmails(tenantId: string, channels: AlertChannel[]): Promise<void> {
    for (const c of channels) {
      if (c.kind !== 'email') continue;
      const member = await this.#o.db.membership.findFirst({
        where: { tenantId, user: { email: c.to.toLowerCase(), emailVerifiedAt: { not: null } } },
        select: { id: true },
      });
      if (!member) {
        throw new AppError(
          'VALIDATION_FAILED',
          'An alert email goes to a verified member of this workspace only.',
          { channelId: c.id, reason: 'email_not_member' },
        );
      }
    }
  }
}

const TIMED_OUT = Symbol('timed out');

/** `p`'s value, or TIMED_OUT once `deadline` (performance.now()) passed; `p` failing counts as settled. */
async function withinDeadline<T>(p: Promise<T>, deadline: number): Promise<T | undefined | typeof TIMED_OUT> {
  let timer: NodeJS.Timeout | undefined;
  const left = Math.max(0, deadline - performance.now());
  try {
    return await Promise.race([
      p.catch(() => undefined),
      new Promise<typeof TIMED_OUT>((r) => {
        timer = setTimeout(() => r(TIMED_OUT), left);
        timer.unref();
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function validRule(input: Record<string, unknown>): AlertRule {
  const clean = Object.fromEntries(
    Object.entries(input).filter(([k, v]) => v !== undefined && k !== 'channels'),
  );
  const rule = parseAlertRule(clean);
  // "Feed degraded" events carry a deployment id and no tenant: a rule on them names its deployment
  // (checked to be the tenant's own), so it can never fire on another tenant's deployments.
  const c = rule.condition;
  if (
    c.kind === 'dataQuality' &&
    c.events.includes('deploymentFeedDegraded') &&
    c.deploymentId === undefined
  ) {
    throw new AppError('VALIDATION_FAILED', 'A "feed degraded" alert names its deployment (deploymentId).', {
      issues: [{ path: 'condition.deploymentId', message: 'required with deploymentFeedDegraded' }],
    });
  }
  return rule;
}

function storedRule(rule: AlertRule): object {
  const { id: _id, tenantId: _t, name: _n, ...rest } = rule;
  return JSON.parse(JSON.stringify(rest)) as object;
}

export function parseChannels(input: unknown): AlertChannel[] {
  const list = Array.isArray(input) ? input : [];
  const out: AlertChannel[] = [];
  const ids = new Set<string>();
  list.forEach((c, i) => {
    const r = alertChannelSchema.safeParse(c);
    if (!r.success) {
      const first = r.error.issues[0];
      throw new AppError(
        'VALIDATION_FAILED',
        `Invalid alert channel ${i}: ${first ? `${first.path.join('.')} ${first.message}` : 'refused'}.`,
        {
          issues: r.error.issues.map((x) => ({
            path: `channels.${i}.${x.path.join('.')}`,
            message: x.message,
          })),
        },
      );
    }
    if (ids.has(r.data.id))
      throw new AppError('VALIDATION_FAILED', `Two channels have the id "${r.data.id}".`, {
        channelId: r.data.id,
      });
    ids.add(r.data.id);
    out.push(r.data);
  });
  return out;
}

/**
 * A Discord or Slack webhook URL is its own posting credential (the path after the service's base holds
 * the token): shown as the base and the last 4 characters, enough to tell two channels apart.
 */
export function redactChatUrl(url: string, base: string): string {
  const rest = url.startsWith(base) ? url.slice(base.length) : url;
  const shownBase = url.startsWith(base) ? base : '';
  return `${shownBase}…${rest.length > 8 ? rest.slice(-4) : ''}`;
}

function channelView(
  c: AlertChannel,
  config: DeliveryConfig,
): { kind: string; id: string; target: string | null } {
  switch (c.kind) {
    case 'webhook':
      // A generic webhook's URL is the user's own endpoint; its secret (never shown) signs the body.
      return { kind: c.kind, id: c.id, target: c.url };
    case 'discord':
      return { kind: c.kind, id: c.id, target: redactChatUrl(c.url, config.discordBaseUrl) };
    case 'slack':
      return { kind: c.kind, id: c.id, target: redactChatUrl(c.url, config.slackBaseUrl) };
    case 'email':
      return { kind: c.kind, id: c.id, target: c.to };
    case 'telegram':
      return { kind: c.kind, id: c.id, target: c.chatId };
  }
}

function alertView(row: Row, config: DeliveryConfig): AlertView {
  const rule = row.rule as Record<string, unknown>;
  let channels: AlertView['channels'] = [];
  try {
    channels = parseChannels(row.channels).map((c) => channelView(c, config));
  } catch {
    channels = [];
  }
  return {
    id: row.id,
    name: row.name,
    venue: typeof rule.venue === 'string' ? rule.venue : null,
    symbol: typeof rule.symbol === 'string' ? rule.symbol : null,
    condition: (rule.condition ?? {}) as Record<string, unknown>,
    trigger: (rule.trigger ?? {}) as Record<string, unknown>,
    expiresAt: typeof rule.expiresAt === 'number' ? rule.expiresAt : null,
    message: typeof rule.message === 'string' ? rule.message : '',
    channels,
    state: row.state,
    createdAt: row.createdAt.getTime(),
    updatedAt: row.updatedAt.getTime(),
  };
}

function stateConflict(state: string, to: string): AppError {
  return new AppError('VALIDATION_FAILED', `An alert that is ${state} cannot become ${to}.`, { state });
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
