import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
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
import { type AlertScope, type AlertsPort, withinTierCap } from '@qt/api';
import type { Db } from '@qt/db';
import {
  type AlertFiringView,
  type AlertHistoryInput,
  type AlertStateView,
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
import { type AlertPositions, AlertStore, type FiringToStore, firingView } from './alert-store.ts';
import { isTransientCommitError } from './commit-errors.ts';
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
/** A failed evaluation commit is retried in place after this, doubling up to COMMIT_RETRY_MAX_MS. */
export const COMMIT_RETRY_BASE_MS = 100;
export const COMMIT_RETRY_MAX_MS = 5_000;
/**
 * The evaluator state (about 9 MB of JSON at 100,000 alerts) is written at most this often, not with every
 * batch: each batch's transaction holds only its firings, deliveries and the committed positions.
 */
export const SNAPSHOT_EVERY_MS = 5_000;
/** Markets with deployments paused by a stale feed that a restart watches for their first trade. */
export const MAX_STALE_PAUSED_MARKETS = 10_000;
/** Resume attempts per market a restart watches (one per trade batch on it) before it gives up (logged). */
export const MAX_STALE_RESUME_ATTEMPTS = 5;
/**
 * Statements a batch whose commit failed for good (not a transient error) may spend isolating the bad
 * firing(s) by halving: enough to single out a few among 1,000; past it the rest of the batch is dropped
 * (logged) rather than holding the stream.
 */
export const MAX_ISOLATION_STATEMENTS = 64;
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
 * Latency. Batches are group commits: a batch is what arrived while the previous one was evaluated and
 * committed (never held back to fill), so at a low rate each trade is committed on its own and under load
 * the batches grow by themselves. In-app events wait for the commit (an event for a firing that is then
 * dropped, or never stored, would be a notification with no record); the evaluator state is written
 * apart, in the background, and its writes never hold a batch.
 *
 * Restart guarantee. The bus is read through durable consumers (trades, candles, data quality); a batch
 * is acknowledged only after the statement storing its firings, deliveries and the committed stream
 * positions committed. The evaluator state (a few MB at 100,000 alerts: alerts that never fired are not
 * stored) is captured right after a commit every SNAPSHOT_EVERY_MS (5 s) and at stop, with the positions
 * it covers, so it never covers an event whose firings are not stored. On NATS each start recreates the
 * consumers to deliver, in stream order, from the message after the positions the restored state covers
 * (replay-positions.ts): after a clean stop that is exactly what was not committed; after a crash, or a
 * commit that failed at stop, the messages committed after the state was captured are evaluated again
 * from that exact state, reproduce the same deterministic firing ids (stored ON CONFLICT DO NOTHING: not
 * created, so not shown nor delivered again), and the uncommitted batch is evaluated in its place. Each
 * firing is produced once and none is missed while the stream still holds the messages (24 h of trades,
 * 6 h of candles). Replayed messages (at or before the committed positions) repeat no other side effect
 * (#replayUntil); with no alert loaded the positions still move on (#advance); a restored position the
 * stream no longer holds is checked at start (#checkPositionsOnStreams). On the in-process bus nothing survives the process: the snapshot is restored (after a
 * clean stop: no duplicate firing, `once`/per-bar/cooldown state kept, a price that crossed a level while
 * the engine was down fires on the first trade after; after a crash, the state of the gap since the last
 * snapshot is lost), but intrabar conditions that held only while the engine was down are not seen.
 * A failed commit (database down) is retried in place with backoff (100 ms doubling to 5 s) and no later
 * batch of either stream is evaluated meanwhile (the batches wait on one lock; the bus holds the rest,
 * at most ALERT_BATCH_MESSAGES unacknowledged per consumer: the NATS bus drops the server's redeliveries
 * of the messages a retrying batch holds), so the stored position never moves past an
 * uncommitted batch. Only stop() ends the retries: the batch is then not acknowledged, the evaluator is
 * rebuilt from the last stored snapshot (no final snapshot over it) and no later batch is evaluated in
 * this run (#inOrder), so the next start replays it.
 * API calls that change alerts wait behind a retrying commit too (they need the database anyway).
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
  readonly #positions: Record<string, number> = {};
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
  /** Batches committed since the state was last stored (a final snapshot at stop when > 0). */
  #sinceSnapshot = 0;
  /** The background snapshot write in flight (one at a time). */
  #snapshotting: Promise<void> | null = null;
  #lock: Promise<unknown> = Promise.resolve();
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
    this.#queue = new DeliveryQueue({
      config: o.delivery,
      clock: o.clock,
      ...(o.mailer ? { mailer: o.mailer } : {}),
      onAttempt: (a) => this.#write(this.#store.recordAttempt(a.firingId, a.channelId, a.error)),
      onOutcome: (out) => this.#onOutcome(out),
    });
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
        this.#inOrder(() => this.#onTrades(msgs)),
      ),
      await this.#o.bus.consumeBatch(topics.marketKlines, klines, GROUP_COMMIT, (msgs) =>
        this.#inOrder(() => this.#onKlines(msgs)),
      ),
      await this.#o.bus.consumeBatch(topics.marketQuality, quality, GROUP_COMMIT, (msgs) =>
        this.#inOrder(() => this.#onQuality(msgs)),
      ),
    );
    const every = this.#o.sweepEveryMs ?? 5_000;
    this.#sweepTimer = setInterval(() => this.#sweepSoon(), every);
    this.#sweepTimer.unref();
    this.#sweepSoon();
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
    for (const s of this.#subs.splice(0)) await s.unsubscribe().catch(() => undefined);
    // Both within the budget: a sweep or a commit stuck on a hung database must not hold the shutdown
    // (a commit ends at its statement timeout; the batch is then not acknowledged, see #commit).
    await withinDeadline(this.#sweeping ?? Promise.resolve(), deadline);
    const drained = await withinDeadline(
      this.#lock.then(() => true),
      deadline,
    );
    // A batch still in its commit: the state may be past what is stored, so no final snapshot.
    if (drained === true) await this.#finalSnapshot(deadline);
    else this.#log.warn('alert stop: a batch was still committing at the deadline; no final snapshot');
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
   * A bus batch, evaluated and committed after every batch handed over before it. None is evaluated once
   * stop() began (thrown back to the bus, not acknowledged): the batch in its commit at that moment may
   * fail, and a later batch committing would move the stored position past it (see replay-positions.ts).
   */
  #inOrder(fn: () => Promise<void>): Promise<void> {
    return this.#serial(async () => {
      if (this.#stopped) throw new AlertsStoppingError();
      await fn();
    });
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

  async #onTrades(msgs: BusMessage<TradeBatch>[]): Promise<void> {
    const stream = streamNames.marketTrades;
    const t0 = performance.now();
    const firings: Firing[] = [];
    const { fresh, last } = this.#unseen(stream, msgs);
    if (this.#pausedByStaleFeed.size > 0) this.#resumeOnTrades(msgs);
    for (const m of this.#alerts.size === 0 ? [] : fresh) {
      for (const t of m.data.trades) {
        const out = this.#evaluator.onTrade({
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
    if (this.#alerts.size === 0 && firings.length === 0) return this.#advance(stream, last);
    await this.#commit(stream, last, firings);
  }

  async #onKlines(msgs: BusMessage<Kline>[]): Promise<void> {
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
    if (this.#alerts.size === 0 && firings.length === 0) return this.#advance(stream, last);
    await this.#commit(stream, last, firings);
  }

  /**
   * Data-quality events (`market.quality.*`, from every engine's feeds): evaluated like trades, with the
   * same commit and position. A stale feed also becomes a "feed degraded" event for each deployment this
   * engine runs on it (id `degraded:<deploymentId>:<staleEventId>`: the same on a redelivery). After the
   * commit, on every engine (each pauses only the runners it holds): a `pauseDeployment` firing of a
   * stale feed pauses the tenant's deployments on it; `feedLive` resumes those it paused.
   */
  async #onQuality(msgs: BusMessage<DataQualityMessage>[]): Promise<void> {
    const stream = streamNames.marketQuality;
    const firings: Firing[] = [];
    const live: DataQualityMessage[] = [];
    /** Pausing firings of messages past what a previous run committed (the others ran their pause then). */
    const pausing = new Set<string>();
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
    if (this.#alerts.size > 0 || firings.length > 0) await this.#commit(stream, last, firings);
    else this.#advance(stream, last);
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
   * Stores the firings, their pending deliveries and the position in one transaction; only then is
   * anything shown in-app (`alerts.fired.<tenantId>`) or sent to an external channel, and only for the
   * firings this commit created: a firing dropped because its alert is no longer active (paused by its
   * owner, fired out by another engine) or stored already (a replay) is never shown, and a batch whose
   * commit never succeeds shows nothing.
   * A commit that failed with a transient error (connection lost, timeouts, lock not granted,
   * serialization, see isTransientCommitError) is retried IN PLACE with backoff (the evaluation is
   * deterministic, its result is kept) and the handler does not return meanwhile, so no later batch is
   * evaluated or committed past it: a crossing that only happened inside this batch is stored when the
   * database is back, never skipped. Only stop() ends the retries: the batch is then not acknowledged and
   * the evaluator goes back to the last stored snapshot, so the redelivery after the restart is evaluated
   * afresh. Any other error says the batch's content is refused for good: it is split (#isolate) so the
   * bad firing(s) are dropped (logged) and the rest stored, and the batch is acknowledged.
   * The evaluator state is not part of this transaction: when due, it is captured right after the
   * commit (so it covers only stored firings) and written in the background (#snapshotSoon).
   */
  async #commit(stream: string, last: number, firings: Firing[]): Promise<void> {
    const committed = { bus: this.#o.bus.kind, streams: { ...this.#positions, [stream]: last } };
    const toStore: FiringToStore[] = firings.map((f) => ({
      firing: f,
      channelIds: this.#alerts.get(f.alertId)?.channels.map((c) => c.id) ?? [],
    }));
    // Across attempts: an isolation interrupted by a transient error has stored some parts already.
    const created = new Set<string>();
    let done = false;
    const tc = performance.now();
    for (let attempt = 0; !done; attempt++) {
      try {
        try {
          for (const id of await this.#store.commitEvaluation(
            this.#o.evaluatorId,
            toStore,
            committed,
            this.#leaseMs,
          ))
            created.add(id);
        } catch (err) {
          if (isTransientCommitError(err) || toStore.length === 0) throw err;
          await this.#isolate(toStore, committed, err, created);
        }
        done = true;
      } catch (err) {
        this.stats.commitFailures++;
        if (this.#stopped) {
          this.#rebuild();
          // The rebuilt state IS the stored snapshot: no final snapshot over positions it has not seen.
          this.#sinceSnapshot = 0;
          throw err;
        }
        const delay = Math.min(COMMIT_RETRY_MAX_MS, COMMIT_RETRY_BASE_MS * 2 ** Math.min(attempt, 16));
        this.#log.warn(
          { err: errText(err), firings: firings.length, attempt: attempt + 1, retryInMs: delay },
          'alert commit failed: retrying the same batch',
        );
        await sleep(delay, undefined, { signal: this.#stopping.signal }).catch(() => undefined);
      }
    }
    const took = performance.now() - tc;
    this.stats.commitMs += took;
    this.stats.commitMaxMs = Math.max(this.stats.commitMaxMs, took);
    this.#sinceSnapshot++;
    this.#positions[stream] = last;
    this.stats.committed++;
    for (const f of firings) {
      // Read before a final firing unregisters its alert: a `once` firing is delivered now too, not
      // only by the next sweep.
      const reg = this.#alerts.get(f.alertId);
      if (f.final) this.#unregister(f.alertId);
      if (!created.has(f.id)) continue;
      this.stats.firings++;
      this.#o.usage?.add(f.tenantId, 'alertsFired', 1);
      this.#publishLive(f);
      for (const channel of reg?.channels ?? []) this.#offer(f, channel, reg?.tier ?? 'FREE', 0);
    }
    this.#snapshotSoon();
  }

  /**
   * The batch's commit was refused for good (`first`): halves are committed apart, down to single
   * firings, within MAX_ISOLATION_STATEMENTS statements; a firing refused alone (or left when the budget
   * ran out) is dropped and logged. Then the positions are written, so the batch is acknowledged. A
   * transient error on the way is thrown (the caller retries the whole batch; stored parts are found
   * stored, ON CONFLICT DO NOTHING, and `created` keeps their ids).
   */
  async #isolate(
    toStore: FiringToStore[],
    committed: { bus: AlertPositions['bus']; streams: Record<string, number> },
    first: unknown,
    created: Set<string>,
  ): Promise<void> {
    const dropped: FiringToStore[] = [];
    let statements = 0;
    const half = Math.ceil(toStore.length / 2);
    const parts: FiringToStore[][] =
      toStore.length === 1 ? [] : [toStore.slice(half), toStore.slice(0, half)];
    if (toStore.length === 1) dropped.push(...toStore);
    let lastErr = first;
    for (let part = parts.pop(); part; part = parts.pop()) {
      if (statements >= MAX_ISOLATION_STATEMENTS) {
        dropped.push(...part, ...parts.splice(0).flat());
        break;
      }
      statements++;
      try {
        for (const id of await this.#store.commitEvaluation(this.#o.evaluatorId, part, null, this.#leaseMs))
          created.add(id);
      } catch (err) {
        if (isTransientCommitError(err)) throw err;
        lastErr = err;
        if (part.length === 1) dropped.push(...part);
        else {
          const h = Math.ceil(part.length / 2);
          parts.push(part.slice(h), part.slice(0, h));
        }
      }
    }
    this.stats.firingsDropped += dropped.length;
    this.#log.error(
      {
        err: errText(lastErr),
        firings: toStore.length,
        dropped: dropped.slice(0, 20).map((d) => ({ id: d.firing.id, alertId: d.firing.alertId })),
        droppedCount: dropped.length,
      },
      'alert firings refused by the database: dropped, the rest of the batch stored',
    );
    await this.#store.commitEvaluation(this.#o.evaluatorId, [], committed, this.#leaseMs);
  }

  /** The live (in-app) event of a firing; best effort (the notification centre reads the table). */
  #publishLive(f: Firing): void {
    this.#o.bus
      .publish(alertsFiredTopic, alertsFiredSubject(f.tenantId), firingView(f, null), { msgId: f.id })
      .catch((err: unknown) =>
        this.#log.warn({ err: errText(err), firingId: f.id }, 'alerts.fired not published'),
      );
  }

  /**
   * A batch evaluated with no alert loaded: nothing to store, but the position moves on, and the state
   * (unchanged by it: no alert evaluated it) is stored with it at the snapshot cadence and at stop.
   * Otherwise the stored positions stayed where the last alert left them, and every start replayed from
   * there (up to the stream's 24 h) before reaching the live edge. No row per batch: only the snapshot
   * (a few bytes with no alert), at most every snapshotEveryMs. Exactly-once is untouched: a batch that
   * has an alert to evaluate always goes through #commit.
   */
  #advance(stream: string, last: number): void {
    if (last <= (this.#positions[stream] ?? 0)) return;
    this.#positions[stream] = last;
    this.#sinceSnapshot++;
    this.#snapshotSoon();
  }

  /**
   * Every snapshotEveryMs, right after a commit: captures the state (it covers exactly the committed
   * positions, whose firings are stored) and writes it without holding up the next batch. One write at a
   * time; a failed write only leaves the previous snapshot (what a crash would leave) and is tried again
   * at the next commit.
   */
  #snapshotSoon(): void {
    if (this.#snapshotting || this.#stopped) return;
    const every = this.#o.snapshotEveryMs ?? SNAPSHOT_EVERY_MS;
    if (performance.now() - this.#snapshotAt < every) return;
    const covers = { ...this.#positions };
    const t0 = performance.now();
    // Captured now, in one go (it must match `covers`); serialised in slices after (a private copy).
    const state = this.#evaluator.snapshot();
    this.stats.snapshotMs += performance.now() - t0;
    const positions: AlertPositions = { bus: this.#o.bus.kind, streams: covers, committed: covers };
    // Also when it fails: retried one interval later, not at every commit.
    this.#snapshotAt = performance.now();
    const since = this.#sinceSnapshot;
    let json = '';
    this.#snapshotting = stateJsonInSlices(state)
      .then((text) => {
        json = text;
        return this.#store.writeSnapshot(this.#o.evaluatorId, text, positions);
      })
      .then(() => {
        // The JSON, not the object: the object may share arrays the evaluator goes on changing.
        this.#committedState = json;
        this.#sinceSnapshot = Math.max(0, this.#sinceSnapshot - since);
        this.stats.snapshots++;
      })
      .catch((err: unknown) => this.#log.warn({ err: errText(err) }, 'alert snapshot not stored'))
      .finally(() => {
        this.#snapshotting = null;
      });
  }

  /**
   * After the last batch: stores the state covering every committed batch, so a clean restart resumes
   * exactly where this run stopped (no gap between the state and the acknowledged positions). Within
   * the stop budget; a failure only leaves the previous snapshot (what a crash would leave).
   */
  async #finalSnapshot(deadline: number): Promise<void> {
    if ((await withinDeadline(this.#snapshotting ?? Promise.resolve(), deadline)) === TIMED_OUT) return;
    if (this.#sinceSnapshot === 0) return;
    const positions: AlertPositions = {
      bus: this.#o.bus.kind,
      streams: { ...this.#positions },
      committed: { ...this.#positions },
    };
    const left0 = Math.max(1, deadline - performance.now());
    const write = this.#store
      .writeSnapshot(this.#o.evaluatorId, JSON.stringify(this.#evaluator.snapshot()), positions, {
        maxWaitMs: left0,
        timeoutMs: left0,
      })
      .then(() => {
        this.#sinceSnapshot = 0;
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
