import { AppError, type KlineInterval } from '@qt/shared';
import {
  type AlertEvaluation,
  type AlertRule,
  evaluationOf,
  isDataQualityRule,
  parseAlertRule,
  type Trigger,
} from '../rules/alert-rule.ts';
import type { DataQualityCondition, MarketCondition } from '../rules/conditions.ts';
import { fromUnits, toUnits } from '../rules/price.ts';
import { renderTemplate } from '../rules/template.ts';
import { BarSeries, MAX_VOLUME_BARS, type SeedBar, type SharedIndicator } from './bar-series.ts';
import {
  barsNeededOf,
  type CompiledNode,
  compileCondition,
  type EvalContext,
  evaluateNode,
  indicatorsOf,
  indicatorValues,
  moveLeaves,
  priceLevels,
  volumeBarsOf,
} from './compiled-condition.ts';
import { DueHeap } from './due-heap.ts';
import { type EvaluatorState, evaluatorStateSchema } from './evaluator-state.ts';
import { captureIndicator, decodeNumber, encodeNumber, restoreIndicator } from './indicator-state.ts';
import { intervalMs } from './intervals.ts';
import { MoveGroup, type OwnerVisitor } from './move-group.ts';
import { mergeSeed, seedBarOf } from './seed-merge.ts';
import { SortedThresholds } from './sorted-thresholds.ts';
import type { AlertCandle, AlertTrade, DataQualityEvent, Firing } from './types.ts';

/** Data-quality event ids remembered to refuse a redelivered event (a bounded FIFO). */
export const RECENT_EVENTS = 4_096;
/** Trade ids remembered for the last timestamp of a market; more at one ms are all accepted. */
export const MAX_IDS_PER_TS = 10_000;

/** Most stored candles one instance is seeded with (one read of at most this many rows). */
export const WARMUP_MAX_CANDLES = 5_000;

/**
 * Stored candles read to seed an instance: what it needs to hold values (`lookback` + 2) plus
 * max(100, 10 x `lookback`), at most WARMUP_MAX_CANDLES,
 * because smoothed indicators (EMA, Wilder's RSI, MACD) depend on their whole history: after 10 x the
 * lookback more bars the seed's own starting value weighs e^-10 (EMA) to e^-5 (RSI) of the output, so a
 * seeded instance reads like one that had run for days.
 */
export function warmupLength(ind: { needed: number; ind: { lookback: number } }): number {
  return Math.min(WARMUP_MAX_CANDLES, ind.needed + Math.max(100, 10 * ind.ind.lookback));
}

/**
 * One instance to seed from storage: the engine calls beginWarmup when its read starts, reads `limit`
 * closed candles of the series opening before `before`, and completes it.
 */
export interface WarmupRequest {
  token: number;
  venue: string;
  symbol: string;
  interval: KlineInterval;
  /** The instance within its series (indicatorKey). */
  key: string;
  limit: number;
  /**
   * The series' last applied bar when the read started (beginWarmup), null before it started or when
   * the series had seen no live close. The read covers bars up to it (`before` = through + the interval),
   * so the seed depends on what the series had applied, not on when the read runs: a NATS replay that
   * re-creates the instance at the same point reads the same window.
   */
  through: number | null;
  /** Exclusive upper bound of the read's open times (null: the newest stored candles). */
  before: number | null;
}

/** What a completed (or given-up) seed left: `ready` false means too few candles were stored. */
export interface WarmupOutcome {
  /** False when the request was no longer current (the instance was seeded or rebuilt meanwhile). */
  applied: boolean;
  /** The series has seen no live close yet: the seed is applied with its first one (see BarSeries.adopted). */
  deferred: boolean;
  stored: number;
  live: number;
  pushed: number;
  ready: boolean;
}

/**
 * How far an alert's bar history is (for the alert view): `warming` while a seed is read, `cold` when
 * it still needs `barsNeeded` closed bars (storage had too few), `ready` otherwise. `readyAt` estimates
 * when the last needed bar closes (cold only). Null for alerts that read no bar history.
 */
export interface WarmupStatus {
  status: 'warming' | 'ready' | 'cold';
  barsNeeded: number;
  readyAt: number | null;
}

export interface AlertEvaluatorOptions {
  /** Most alerts one evaluator holds (all tenants); `add` beyond it throws VALUE_OUT_OF_RANGE. */
  maxAlerts?: number;
}

export interface EvaluatorStats {
  alerts: number;
  markets: number;
  series: number;
  lateTrades: number;
  duplicateTrades: number;
  lateCandles: number;
  duplicateEvents: number;
  firings: number;
  /** Alert evaluations on trades (the index's work: compare with trades x alerts). */
  tradeEvaluations: number;
}

interface Slot {
  readonly index: number;
  readonly rule: AlertRule;
  readonly evaluation: AlertEvaluation;
  readonly tree: CompiledNode | null;
  readonly market: MarketState | null;
  readonly series: BarSeries | null;
  readonly dataQuality: DataQualityCondition | null;
  readonly barMs: number;
  readonly cooldownMs: number;
  readonly levels: readonly bigint[];
  /**
   * Events (trades, closes, data-quality events) with a time before this are not evaluated for the alert:
   * it did not exist yet. Without it, an alert created after the last snapshot would fire on the bars a
   * NATS replay delivers from before it existed, with firing ids never stored before (stored, delivered).
   */
  readonly activeFrom: number;
  done: boolean;
  removed: boolean;
  lastFiredAt: number;
  lastFiredBar: number;
  /** Due time of this slot's newest entry in its market's heap (NaN: none). */
  pendingDue: number;
  /** Last trade (evaluator-wide counter) that put this slot in the candidate list. */
  stamp: number;
}

/** The trade-side state of one (venue, symbol). */
class MarketState {
  /** The last accepted trade's price as printed ('' before any) and as a double; its units on demand. */
  lastPriceText = '';
  lastPriceF = Number.NaN;
  #lastUnits: bigint | null = null;
  /** The price before it, for crossings (units parsed only when an alert is evaluated). */
  #prevText = '';
  #prevUnits: bigint | null = null;
  lastTs = Number.NEGATIVE_INFINITY;
  /** Trade ids seen at lastTs (in the array; in the set too once there are many). */
  idsAtLastTs: string[] = [];
  #idSet: Set<string> | null = null;
  readonly thresholds = new SortedThresholds();
  readonly heap = new DueHeap();
  readonly moves = new Map<string, MoveGroup>();
  /** The same groups in an array: iterated on every trade without a Map iterator. */
  readonly moveList: MoveGroup[] = [];
  tradeAlerts = 0;

  constructor(
    readonly venue: string,
    readonly symbol: string,
  ) {}

  setPrice(text: string, f: number): void {
    if (text === this.lastPriceText) {
      this.#prevText = text;
      this.#prevUnits = this.#lastUnits;
      return;
    }
    this.#prevText = this.lastPriceText;
    this.#prevUnits = this.#lastUnits;
    this.lastPriceText = text;
    this.lastPriceF = f;
    this.#lastUnits = null;
  }

  /** Exact units of the last price (call only after a trade). */
  units(): bigint {
    this.#lastUnits ??= toUnits(this.lastPriceText);
    return this.#lastUnits;
  }

  prevUnits(): bigint {
    this.#prevUnits ??= toUnits(this.#prevText);
    return this.#prevUnits;
  }

  /** True if `id` was seen at lastTs; records it otherwise (at most MAX_IDS_PER_TS are remembered). */
  seen(id: string): boolean {
    const ids = this.idsAtLastTs;
    if (this.#idSet !== null ? this.#idSet.has(id) : ids.includes(id)) return true;
    if (ids.length >= MAX_IDS_PER_TS) return false;
    ids.push(id);
    if (this.#idSet !== null) this.#idSet.add(id);
    else if (ids.length > 16) this.#idSet = new Set(ids);
    return false;
  }

  /** A newer timestamp: forget the ids of the previous one (no allocation in the common case). */
  resetSeen(ts: number, id: string): void {
    this.lastTs = ts;
    this.idsAtLastTs.length = 0;
    this.idsAtLastTs.push(id);
    this.#idSet = null;
  }

  moveGroup(windowMs: number, direction: 'up' | 'down'): MoveGroup {
    const key = `${windowMs}:${direction}`;
    let g = this.moves.get(key);
    if (!g) {
      g = new MoveGroup(windowMs, direction);
      this.moves.set(key, g);
      this.moveList.push(g);
    }
    return g;
  }
}

const NO_FIRINGS: readonly Firing[] = Object.freeze([]);
const byIndex = (a: Slot, b: Slot) => a.index - b.index;

/** `-?digits(.digits)?`: what the bus carries; anything else goes to toUnits for a typed refusal. */
function isPlainDecimal(s: string): boolean {
  const n = s.length;
  let i = n > 0 && s.charCodeAt(0) === 45 ? 1 : 0;
  if (i >= n) return false;
  let dot = false;
  for (const start = i; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) continue;
    if (c === 46 && !dot && i > start && i < n - 1) dot = true;
    else return false;
  }
  return true;
}

/**
 * The alert engine's evaluator: pure, single-threaded, driven by the events the engine hands it (trades,
 * closed candles, data-quality events), returning the firings those events caused, in alert order. See
 * the package README for the semantics and the indexing.
 */
export class AlertEvaluator {
  readonly #maxAlerts: number;
  readonly #slots: (Slot | undefined)[] = [];
  readonly #byId = new Map<string, Slot>();
  /** venue -> symbol -> state: two lookups, no key string built per trade. */
  readonly #markets = new Map<string, Map<string, MarketState>>();
  #marketCount = 0;
  readonly #series = new Map<string, BarSeries>();
  readonly #eventSlots: Slot[] = [];
  readonly #recentEvents = new Set<string>();
  #stamp = 0;
  #candidates: Slot[] = [];
  readonly #tradeCtx: EvalContext = { p0: null, p1: 0n, series: null, volume: 0n };
  /** Made once: the index structures call it for each slot a trade must look at. */
  readonly #visitor: OwnerVisitor = { visit: (index) => this.#visit(index) };
  #alertCount = 0;
  /** Instances created (or restored not ready) since the last takeWarmups: what the engine may seed. */
  #wanted: { series: BarSeries; ind: SharedIndicator }[] = [];
  #warmupToken = 0;
  readonly #stats = {
    lateTrades: 0,
    duplicateTrades: 0,
    lateCandles: 0,
    duplicateEvents: 0,
    firings: 0,
    tradeEvaluations: 0,
  };

  constructor(opts: AlertEvaluatorOptions = {}) {
    this.#maxAlerts = opts.maxAlerts ?? 1_000_000;
  }

  get size(): number {
    return this.#alertCount;
  }

  stats(): EvaluatorStats {
    return {
      alerts: this.#alertCount,
      markets: this.#marketCount,
      series: this.#series.size,
      ...this.#stats,
    };
  }

  has(alertId: string): boolean {
    return this.#byId.has(alertId);
  }

  /** True once a `once` alert fired or an alert expired: it will never fire again. */
  isDone(alertId: string): boolean {
    return this.#byId.get(alertId)?.done ?? false;
  }

  /**
   * Registers an alert (validated again here: rules may come from storage). It is evaluated from the next
   * event of its market on, crossings measured from the last price seen before it was added.
   */
  add(input: AlertRule | unknown, opts: { activeFrom?: number } = {}): void {
    const rule = parseAlertRule(input);
    if (this.#byId.has(rule.id)) {
      throw new AppError('VALIDATION_FAILED', `Alert ${rule.id} is already registered.`, {
        alertId: rule.id,
      });
    }
    if (this.#alertCount >= this.#maxAlerts) {
      throw new AppError('VALUE_OUT_OF_RANGE', `The alert engine holds at most ${this.#maxAlerts} alerts.`, {
        max: this.#maxAlerts,
      });
    }
    const index = this.#slots.length;
    const evaluation = evaluationOf(rule);
    let market: MarketState | null = null;
    let series: BarSeries | null = null;
    let tree: CompiledNode | null = null;
    if (!isDataQualityRule(rule)) {
      const venue = rule.venue as string;
      const symbol = rule.symbol as string;
      market = this.#market(venue, symbol);
      if (evaluation.kind === 'close') series = this.#seriesFor(venue, symbol, evaluation.interval);
      const m = market;
      const s = series;
      tree = compileCondition(rule.condition as MarketCondition, {
        moveGroup: (windowMs, direction) => m.moveGroup(windowMs, direction),
        series: () => {
          if (!s) throw new Error('bar condition outside a bar-close alert');
          return s;
        },
      });
    }
    const trigger: Trigger = rule.trigger;
    const slot: Slot = {
      index,
      rule,
      evaluation,
      tree,
      market,
      series,
      dataQuality: isDataQualityRule(rule) ? rule.condition : null,
      barMs: trigger.mode === 'oncePerBar' ? intervalMs[trigger.interval] : 0,
      cooldownMs: trigger.mode === 'every' ? trigger.cooldownMs : 0,
      levels: tree && evaluation.kind === 'trade' ? priceLevels(tree) : [],
      activeFrom: opts.activeFrom ?? Number.NEGATIVE_INFINITY,
      done: false,
      removed: false,
      lastFiredAt: Number.NaN,
      lastFiredBar: Number.NaN,
      pendingDue: Number.NaN,
      stamp: 0,
    };
    this.#slots.push(slot);
    this.#byId.set(rule.id, slot);
    this.#alertCount++;
    if (evaluation.kind === 'event') this.#eventSlots.push(slot);
    else if (evaluation.kind === 'close') {
      series?.slots.push(index);
      if (series && tree) {
        for (const ind of indicatorsOf(tree)) {
          if (ind.warmup !== 'none') continue;
          ind.warmup = 'wanted';
          this.#wanted.push({ series, ind });
        }
      }
    } else if (market && tree) {
      for (const level of slot.levels) market.thresholds.add(level, index);
      for (const leaf of moveLeaves(tree)) leaf.group.add(leaf.percent, index);
      market.tradeAlerts++;
      // Looked at on the market's next trade whatever the price does (a level may already hold).
      this.#schedule(slot, market, Number.NEGATIVE_INFINITY);
    }
  }

  remove(alertId: string): boolean {
    const slot = this.#byId.get(alertId);
    if (!slot) return false;
    slot.removed = true;
    this.#byId.delete(alertId);
    this.#slots[slot.index] = undefined;
    this.#alertCount--;
    if (slot.evaluation.kind === 'event') {
      this.#eventSlots.splice(this.#eventSlots.indexOf(slot), 1);
    } else if (slot.evaluation.kind === 'close') {
      if (slot.series) slot.series.slots = slot.series.slots.filter((i) => i !== slot.index);
    } else if (slot.market && slot.tree) {
      if (slot.levels.length > 0) slot.market.thresholds.removeOwner(slot.index);
      for (const leaf of moveLeaves(slot.tree)) leaf.group.removeOwner(slot.index);
      slot.market.tradeAlerts--;
    }
    return true;
  }

  /**
   * One trade. Late trades (ts before the market's last) and duplicates (same ts, an id already seen) are
   * ignored and counted. Returns the firings it caused (a shared empty array when none).
   */
  onTrade(trade: AlertTrade): readonly Firing[] {
    const m = this.#market(trade.venue, trade.symbol);
    const ts = trade.ts;
    if (ts < m.lastTs) {
      this.#stats.lateTrades++;
      return NO_FIRINGS;
    }
    // The price as a double (for the searches) now; as exact units only if an alert is looked at.
    const text = trade.price;
    const same = text === m.lastPriceText;
    const p1F = same ? m.lastPriceF : Number(text);
    if (!same && !isPlainDecimal(text)) toUnits(text); // throws the DecimalError that says why
    if (ts === m.lastTs) {
      if (m.seen(trade.tradeId)) {
        this.#stats.duplicateTrades++;
        return NO_FIRINGS;
      }
    } else m.resetSeen(ts, trade.tradeId);
    const hasPrev = m.lastPriceText !== '';
    const p0F = m.lastPriceF;
    m.setPrice(text, p1F);
    if (m.tradeAlerts === 0 && m.moveList.length === 0) return NO_FIRINGS;

    this.#stamp++;
    const candidates = this.#candidates;
    candidates.length = 0;
    const moves = m.moveList;
    for (let i = 0; i < moves.length; i++) (moves[i] as MoveGroup).update(ts, p1F, text, this.#visitor);
    if (hasPrev && m.thresholds.size > 0) {
      m.thresholds.visitRange(Math.min(p0F, p1F), Math.max(p0F, p1F), this.#visitor);
    }
    const heap = m.heap;
    while (heap.size > 0 && heap.peekDue() <= ts) {
      const due = heap.peekDue();
      const slot = this.#slots[heap.pop()];
      if (slot === undefined) continue;
      if (slot.pendingDue === due) slot.pendingDue = Number.NaN;
      this.#visit(slot.index);
    }
    if (candidates.length === 0) return NO_FIRINGS;
    if (candidates.length > 1) candidates.sort(byIndex);

    this.#stats.tradeEvaluations += candidates.length;
    const ctx = this.#tradeCtx;
    ctx.p0 = hasPrev ? m.prevUnits() : null;
    ctx.p1 = m.units();
    let out: Firing[] | undefined;
    for (const slot of candidates) {
      if (slot.done || !slot.tree) continue;
      if (ts < slot.activeFrom) {
        // Looked at again on the first trade at or after its start (a level may hold by then).
        this.#schedule(slot, m, slot.activeFrom);
        continue;
      }
      if (slot.rule.expiresAt !== null && ts >= slot.rule.expiresAt) {
        slot.done = true;
        continue;
      }
      if (!evaluateNode(slot.tree, ctx)) continue;
      if (!this.#gate(slot, ts, m)) continue;
      out ??= [];
      out.push(this.#firing(slot, 'trade', ts, `t:${trade.tradeId}`, trade.price, null, {}, null));
    }
    candidates.length = 0;
    return out ?? NO_FIRINGS;
  }

  /**
   * One closed candle. Bars at or before the series' last bar (late, redelivered, or a revision of a
   * closed bar) are ignored: a bar-close alert judges each bar once.
   */
  onCandle(candle: AlertCandle): readonly Firing[] {
    const s = this.#seriesFor(candle.venue, candle.symbol, candle.interval);
    if (candle.openTime <= s.lastOpenTime) {
      this.#stats.lateCandles++;
      return NO_FIRINGS;
    }
    const close = toUnits(candle.close);
    const volume = toUnits(candle.baseVolume);
    if (s.adopted !== null) this.#adopt(s, candle.openTime);
    this.#advanceSeries(s, candle, close);
    let out: Firing[] | undefined;
    if (s.slots.length > 0) {
      const ctx: EvalContext = { p0: s.prevClose, p1: close, series: s, volume };
      const at = candle.closeTime;
      for (const index of s.slots) {
        const slot = this.#slots[index];
        if (slot === undefined || slot.done || !slot.tree || at < slot.activeFrom) continue;
        if (slot.rule.expiresAt !== null && at >= slot.rule.expiresAt) {
          slot.done = true;
          continue;
        }
        if (!evaluateNode(slot.tree, ctx) || !this.#gate(slot, at, null)) continue;
        const values = indicatorValues(slot.tree, { volume: candle.baseVolume });
        out ??= [];
        out.push(
          this.#firing(
            slot,
            'close',
            at,
            `b:${candle.interval}:${candle.openTime}`,
            candle.close,
            candle.interval,
            values,
            null,
          ),
        );
      }
    }
    s.pushVolume(volume);
    return out ?? NO_FIRINGS;
  }

  /**
   * The instances to seed from storage now: created by `add` (or restored waiting for a seed) since the
   * last call and not able to fire yet. Each becomes `queued`: it goes on taking live closes until the
   * engine starts its read (beginWarmup). An engine that never calls this keeps today's behaviour:
   * instances warm up on live closes.
   */
  takeWarmups(): WarmupRequest[] {
    const out: WarmupRequest[] = [];
    for (const { series, ind } of this.#wanted) {
      if (ind.warmup !== 'wanted') continue;
      if (ind.ready) {
        ind.warmup = 'done';
        continue;
      }
      ind.warmup = 'queued';
      ind.seedToken = ++this.#warmupToken;
      out.push({
        token: ind.seedToken,
        venue: series.venue,
        symbol: series.symbol,
        interval: series.interval,
        key: ind.key,
        limit: warmupLength(ind),
        through: null,
        before: null,
      });
    }
    this.#wanted = [];
    return out;
  }

  /**
   * The engine starts the stored read of a queued request: the instance is reset (its seed becomes its
   * whole history: an instance restored or fed live meanwhile must not fire on a value frozen while live
   * closes are held back) and becomes `seeding`: from here on live closes are not pushed into it but
   * logged on its series, so `completeWarmup` can merge them with the stored candles in open-time order
   * (nothing lost, nothing applied twice). Its alerts cannot fire meanwhile (its outputs are NaN).
   * Returns the request with the read's bounds (`through`, `before`), or null when it is no longer
   * current (the instance was rebuilt, or given up).
   */
  beginWarmup(req: WarmupRequest): WarmupRequest | null {
    const s = this.#series.get(`${req.venue}:${req.symbol}:${req.interval}`);
    const ind = s?.indicators.get(req.key);
    if (!s || !ind || ind.warmup !== 'queued' || ind.seedToken !== req.token) return null;
    ind.reset();
    ind.warmup = 'seeding';
    s.seeding++;
    const through = Number.isFinite(s.lastOpenTime) ? s.lastOpenTime : null;
    return { ...req, through, before: through === null ? null : through + intervalMs[s.interval] };
  }

  /**
   * Seeds an instance with the stored closed candles of its series (any order; the read's result) and
   * the live closes logged while they were read, then lets live closes reach it again. Never evaluates
   * an alert: warm-up data never fires, only the live closes after it do. On a series that has not seen
   * a live close yet (a fresh start) the stored candles are kept aside and applied, with the series' last
   * closes and volumes (bar-close crossings, volume spikes), when its first live close arrives, only
   * those opening before it (`deferred`). Pass no candles to give a seed up (the read failed, or never
   * started: a queued instance kept taking live closes and is left as it is): a seeding instance takes
   * the live closes logged meanwhile and warms up on live closes.
   */
  completeWarmup(req: WarmupRequest, candles: readonly AlertCandle[]): WarmupOutcome {
    const s = this.#series.get(`${req.venue}:${req.symbol}:${req.interval}`);
    const ind = s?.indicators.get(req.key);
    const stale = { applied: false, deferred: false, stored: 0, live: 0, pushed: 0, ready: false };
    if (!s || !ind || ind.seedToken !== req.token) return stale;
    if (ind.warmup === 'queued') {
      ind.warmup = 'done';
      return { applied: true, deferred: false, stored: 0, live: 0, pushed: 0, ready: ind.ready };
    }
    if (ind.warmup !== 'seeding' || s.awaiting.some((a) => a.ind === ind)) return stale;
    const stored: AlertCandle[] = [];
    for (const c of candles) {
      if (c.venue !== s.venue || c.symbol !== s.symbol || c.interval !== s.interval) continue;
      if (req.before !== null && c.openTime >= req.before) continue;
      if (isPlainDecimal(c.close) && isPlainDecimal(c.baseVolume) && seedBarOf(c)) stored.push(c);
    }
    if (!Number.isFinite(s.lastOpenTime) && stored.length > 0) {
      const kept = s.adopted ?? new Map<number, AlertCandle>();
      for (const c of stored) kept.set(c.openTime, c);
      if (kept.size > WARMUP_MAX_CANDLES) {
        const opens = [...kept.keys()].sort((a, b) => a - b);
        for (const t of opens.slice(0, opens.length - WARMUP_MAX_CANDLES)) kept.delete(t);
      }
      s.adopted = kept;
      s.awaiting.push({ ind, limit: req.limit });
      return { applied: true, deferred: true, stored: stored.length, live: 0, pushed: 0, ready: false };
    }
    const bars: SeedBar[] = [];
    for (const c of stored) bars.push(seedBarOf(c) as SeedBar);
    // Every logged close is a bar the series applied (at or before its last): the seeding instance missed
    // those after the request, and storage may miss the newest ones before it.
    const live = s.liveLog;
    const seed = mergeSeed(bars, live, s.lastOpenTime, req.limit);
    this.#seed(s, ind, seed);
    return {
      applied: true,
      deferred: false,
      stored: stored.length,
      live: live.length,
      pushed: seed.length,
      ready: ind.ready,
    };
  }

  /** Where the alert's bar history stands (see WarmupStatus); null when it reads none or is unknown. */
  warmupStatus(alertId: string, now: number): WarmupStatus | null {
    const slot = this.#byId.get(alertId);
    if (!slot?.series || !slot.tree) return null;
    const s = slot.series;
    const needs = barsNeededOf(slot.tree);
    const volumeBars = volumeBarsOf(slot.tree);
    if (needs.length === 0 && volumeBars === 0) return null;
    // A seed waiting for the series' first live close counts as what it will push then (at most).
    const adopted = s.adopted === null ? 0 : s.adopted.size;
    const pending = (ind: SharedIndicator) => s.awaiting.find((a) => a.ind === ind);
    if (needs.some((n) => n.ind.warmup === 'seeding' && !pending(n.ind)))
      return { status: 'warming', barsNeeded: 0, readyAt: null };
    let needed = Math.max(0, volumeBars - Math.max(s.volumes.length, Math.min(adopted, MAX_VOLUME_BARS)));
    for (const n of needs) {
      const waiting = pending(n.ind);
      const pushed = waiting ? Math.min(waiting.limit, adopted) : n.ind.pushed;
      needed = Math.max(needed, n.bars - pushed);
    }
    if (needed === 0) return { status: 'ready', barsNeeded: 0, readyAt: null };
    const ms = intervalMs[s.interval];
    // The bar after the last one seen (or the current one): the last needed bar closes `needed` bars on.
    const next = Number.isFinite(s.lastOpenTime) ? s.lastOpenTime + ms : Math.floor(now / ms) * ms;
    return { status: 'cold', barsNeeded: needed, readyAt: next + needed * ms };
  }

  /** One data-quality event; an event id seen among the last RECENT_EVENTS is ignored. */
  onDataQuality(event: DataQualityEvent): readonly Firing[] {
    if (this.#recentEvents.has(event.id)) {
      this.#stats.duplicateEvents++;
      return NO_FIRINGS;
    }
    this.#rememberEvent(event.id);
    let out: Firing[] | undefined;
    for (const slot of this.#eventSlots) {
      const c = slot.dataQuality;
      if (c === null || slot.done || event.at < slot.activeFrom || !c.events.includes(event.kind)) continue;
      if (c.venue !== undefined && c.venue !== event.venue) continue;
      if (c.symbol !== undefined && c.symbol !== event.symbol) continue;
      if (c.deploymentId !== undefined && c.deploymentId !== event.deploymentId) continue;
      if (slot.rule.expiresAt !== null && event.at >= slot.rule.expiresAt) {
        slot.done = true;
        continue;
      }
      if (!this.#gate(slot, event.at, null)) continue;
      const values: Record<string, string> = event.detail ? { detail: event.detail } : {};
      out ??= [];
      out.push(this.#firing(slot, 'event', event.at, `e:${event.id}`, null, null, values, event));
    }
    if (out)
      out.sort((a, b) => (this.#byId.get(a.alertId)?.index ?? 0) - (this.#byId.get(b.alertId)?.index ?? 0));
    return out ?? NO_FIRINGS;
  }

  /** A JSON-safe copy of the whole state (see EvaluatorState). */
  snapshot(): EvaluatorState {
    const markets: EvaluatorState['markets'] = [];
    for (const m of [...this.#markets.values()].flatMap((byVenue) => [...byVenue.values()])) {
      markets.push({
        venue: m.venue,
        symbol: m.symbol,
        lastPrice: m.lastPriceText === '' ? null : m.lastPriceText,
        lastTs: Number.isFinite(m.lastTs) ? m.lastTs : null,
        idsAtLastTs: [...m.idsAtLastTs],
        moves: [...m.moves.values()].map((g) => {
          const e = g.entries();
          return {
            windowMs: g.windowMs,
            direction: g.direction,
            ts: e.ts,
            prices: e.prices,
          };
        }),
      });
    }
    const series: EvaluatorState['series'] = [];
    for (const s of this.#series.values()) {
      series.push({
        venue: s.venue,
        symbol: s.symbol,
        interval: s.interval,
        lastOpenTime: Number.isFinite(s.lastOpenTime) ? s.lastOpenTime : null,
        prevClose: s.prevClose === null ? null : fromUnits(s.prevClose),
        close: s.close === null ? null : fromUnits(s.close),
        prevCloseF64: encodeNumber(s.prevCloseF64),
        closeF64: encodeNumber(s.closeF64),
        volumes: s.volumes.map(fromUnits),
        indicators: [...s.indicators.values()].map((ind) => ({
          kind: ind.kind,
          params: ind.params,
          state: captureIndicator(ind.ind),
          prev: Array.from(ind.prev, encodeNumber),
          cur: Array.from(ind.cur, encodeNumber),
          // A seeding instance was reset when its read began (beginWarmup): stored as not fed.
          pushed: ind.pushed,
          // Restarts seed again only what was waiting for a seed (see restore), never one given up.
          warmup: ind.warmup,
        })),
      });
    }
    const alerts: EvaluatorState['alerts'] = [];
    for (const slot of this.#byId.values()) {
      // An alert that never fired is in its fresh state, which `restore` leaves to alerts it does not
      // find: not storing those keeps the state small (about 9 MB at 100,000 alerts when all were stored).
      if (!slot.done && Number.isNaN(slot.lastFiredAt) && Number.isNaN(slot.lastFiredBar)) continue;
      alerts.push({
        id: slot.rule.id,
        done: slot.done,
        lastFiredAt: Number.isNaN(slot.lastFiredAt) ? null : slot.lastFiredAt,
        lastFiredBar: Number.isNaN(slot.lastFiredBar) ? null : slot.lastFiredBar,
      });
    }
    return { version: 1, markets, series, alerts, recentEvents: [...this.#recentEvents] };
  }

  /**
   * Restores a snapshot into an evaluator whose alerts were added already (those the snapshot does not
   * know start fresh; snapshot entries of alerts no longer registered are ignored). `add` made every
   * trade-driven alert due on its market's next trade: an extra look never changes what fires, and it
   * replaces the due-time heap, which is therefore not stored. Throws VALIDATION_FAILED on a corrupt
   * snapshot.
   */
  restore(input: unknown): void {
    const parsed = evaluatorStateSchema.safeParse(input);
    if (!parsed.success) {
      throw new AppError('VALIDATION_FAILED', 'The alert evaluator snapshot is not valid.', {
        issues: parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.')}: ${i.message}`),
      });
    }
    const state = parsed.data;
    for (const sm of state.markets) {
      const m = this.#market(sm.venue, sm.symbol);
      if (sm.lastPrice !== null) {
        toUnits(sm.lastPrice);
        m.setPrice(sm.lastPrice, Number(sm.lastPrice));
      }
      m.lastTs = sm.lastTs ?? Number.NEGATIVE_INFINITY;
      const [first, ...rest] = sm.idsAtLastTs;
      if (first !== undefined) m.resetSeen(m.lastTs, first);
      for (const id of rest) m.seen(id);
      for (const mv of sm.moves) {
        for (const p of mv.prices) toUnits(p);
        m.moveGroup(mv.windowMs, mv.direction).restore(mv.ts, mv.prices, sm.lastPrice);
      }
    }
    for (const ss of state.series) {
      const s = this.#seriesFor(ss.venue, ss.symbol, ss.interval as KlineInterval);
      s.lastOpenTime = ss.lastOpenTime ?? Number.NEGATIVE_INFINITY;
      s.prevClose = ss.prevClose === null ? null : toUnits(ss.prevClose);
      s.close = ss.close === null ? null : toUnits(ss.close);
      s.prevCloseF64 = decodeNumber(ss.prevCloseF64);
      s.closeF64 = decodeNumber(ss.closeF64);
      s.volumes = ss.volumes.map(toUnits);
      for (const si of ss.indicators) {
        const shared = s.indicator(si.kind, si.params);
        restoreIndicator(shared.ind, si.state as never);
        si.prev.forEach((v, i) => {
          shared.prev[i] = decodeNumber(v);
        });
        si.cur.forEach((v, i) => {
          shared.cur[i] = decodeNumber(v);
        });
        // Snapshots from before the count: an instance with outputs has run long enough.
        shared.pushed = si.pushed ?? (Number.isNaN(shared.cur[0] as number) ? 0 : shared.needed);
        // Seeded, or its seed given up (it warms up live, cold): not seeded again, whatever it holds, so
        // a replay from this snapshot evaluates the same instance the run did. Waiting for a seed (wanted,
        // queued, seeding): `add` left it wanted, and the engine seeds it again. Older snapshots (no
        // field): seeded again unless ready (takeWarmups).
        if (si.warmup === 'done' && shared.warmup === 'wanted') shared.warmup = 'done';
      }
    }
    for (const sa of state.alerts) {
      const slot = this.#byId.get(sa.id);
      if (!slot) continue;
      slot.done = sa.done;
      slot.lastFiredAt = sa.lastFiredAt ?? Number.NaN;
      slot.lastFiredBar = sa.lastFiredBar ?? Number.NaN;
    }
    this.#recentEvents.clear();
    for (const id of state.recentEvents) this.#rememberEvent(id);
  }

  #market(venue: string, symbol: string): MarketState {
    let byVenue = this.#markets.get(venue);
    if (!byVenue) {
      byVenue = new Map();
      this.#markets.set(venue, byVenue);
    }
    let m = byVenue.get(symbol);
    if (!m) {
      m = new MarketState(venue, symbol);
      byVenue.set(symbol, m);
      this.#marketCount++;
    }
    return m;
  }

  /** Puts a slot in this trade's candidates once. */
  #visit(index: number): void {
    const slot = this.#slots[index];
    if (slot !== undefined && slot.stamp !== this.#stamp) {
      slot.stamp = this.#stamp;
      this.#candidates.push(slot);
    }
  }

  #seriesFor(venue: string, symbol: string, interval: KlineInterval): BarSeries {
    const key = `${venue}:${symbol}:${interval}`;
    let s = this.#series.get(key);
    if (!s) {
      s = new BarSeries(venue, symbol, interval);
      this.#series.set(key, s);
    }
    return s;
  }

  #advanceSeries(s: BarSeries, candle: AlertCandle, close: bigint): void {
    s.lastOpenTime = candle.openTime;
    s.prevClose = s.close;
    s.close = close;
    s.prevCloseF64 = s.closeF64;
    s.closeF64 = Number(candle.close);
    const high = Number(candle.high);
    const low = Number(candle.low);
    const vol = Number(candle.baseVolume);
    for (const ind of s.indicators.values()) {
      // A seeding instance gets this bar in order with its seed (completeWarmup), not before it.
      if (ind.warmup !== 'seeding') ind.push(high, low, s.closeF64, vol, candle.openTime);
    }
    // Also on series without indicators yet: the first instance made on it is seeded with these.
    s.logLive({ openTime: candle.openTime, high, low, close: s.closeF64, volume: vol });
  }

  /** An instance takes `seed` as its whole history and is fed by live closes again. */
  #seed(s: BarSeries, ind: SharedIndicator, seed: readonly SeedBar[]): void {
    ind.reset();
    for (const b of seed) ind.push(b.high, b.low, b.close, b.volume, b.openTime);
    ind.warmup = 'done';
    s.seedDone();
  }

  /**
   * The first live close (opening at `firstOpen`) of a series that had seen none, while stored candles
   * were kept aside for it (see BarSeries.adopted): those opening before it become the series' history
   * (last closes, volumes), the seeds waiting for them, and the state of the instances not being seeded
   * (they saw nothing either). Nothing is evaluated: these bars are history. Stored bars at or after
   * `firstOpen` are left to the live path, which delivers them in order.
   */
  #adopt(s: BarSeries, firstOpen: number): void {
    const sorted = [...(s.adopted ?? new Map<number, AlertCandle>()).values()]
      .filter((c) => c.openTime < firstOpen)
      .sort((a, b) => a.openTime - b.openTime);
    const awaiting = s.awaiting;
    s.adopted = null;
    s.awaiting = [];
    for (const c of sorted.slice(-Math.max(MAX_VOLUME_BARS, 2))) {
      s.lastOpenTime = c.openTime;
      s.prevClose = s.close;
      s.close = toUnits(c.close);
      s.prevCloseF64 = s.closeF64;
      s.closeF64 = Number(c.close);
      s.pushVolume(toUnits(c.baseVolume));
    }
    const bars = sorted.map((c) => seedBarOf(c) as SeedBar);
    for (const { ind, limit } of awaiting) this.#seed(s, ind, bars.slice(-limit));
    const idle = [...s.indicators.values()].filter((i) => i.warmup !== 'seeding');
    for (const i of idle) {
      i.reset();
      for (const b of bars) i.push(b.high, b.low, b.close, b.volume, b.openTime);
    }
  }

  #rememberEvent(id: string): void {
    this.#recentEvents.add(id);
    if (this.#recentEvents.size > RECENT_EVENTS) {
      const oldest = this.#recentEvents.values().next().value as string;
      this.#recentEvents.delete(oldest);
    }
  }

  /**
   * The trigger mode's verdict for a condition that holds at time `t`; records the firing. On trades it
   * also schedules the alert for when its hold ends (or when it may fire again), so an alert whose
   * condition keeps holding is looked at again without any threshold being crossed.
   */
  #gate(slot: Slot, t: number, market: MarketState | null): boolean {
    const trigger = slot.rule.trigger;
    switch (trigger.mode) {
      case 'once':
        slot.done = true;
        return true;
      case 'oncePerBarClose':
        return true;
      case 'oncePerBar': {
        const bar = Math.floor(t / slot.barMs);
        const fire = bar !== slot.lastFiredBar;
        if (fire) slot.lastFiredBar = bar;
        if (market) this.#schedule(slot, market, (bar + 1) * slot.barMs);
        return fire;
      }
      case 'every': {
        const fire = Number.isNaN(slot.lastFiredAt) || t >= slot.lastFiredAt + slot.cooldownMs;
        if (fire) slot.lastFiredAt = t;
        if (market) this.#schedule(slot, market, slot.lastFiredAt + slot.cooldownMs);
        return fire;
      }
    }
  }

  #schedule(slot: Slot, market: MarketState, due: number): void {
    if (slot.pendingDue === due) return;
    slot.pendingDue = due;
    market.heap.push(due, slot.index);
  }

  #firing(
    slot: Slot,
    source: Firing['source'],
    at: number,
    key: string,
    price: string | null,
    interval: KlineInterval | null,
    values: Record<string, string>,
    event: DataQualityEvent | null,
  ): Firing {
    this.#stats.firings++;
    const rule = slot.rule;
    const venue = event ? event.venue : (rule.venue ?? null);
    const symbol = event ? (event.symbol ?? null) : (rule.symbol ?? null);
    const indicator = Object.entries(values)
      .filter(([k]) => k !== 'volume' && k !== 'detail')
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    const message = renderTemplate(rule.message, {
      alert: rule.name,
      venue: venue ?? undefined,
      symbol: symbol ?? undefined,
      price: price ?? undefined,
      time: new Date(at).toISOString(),
      interval: interval ?? (slot.evaluation.kind === 'close' ? slot.evaluation.interval : undefined),
      indicator: indicator || undefined,
      volume: values.volume,
      event: event ? event.kind : undefined,
    });
    return {
      id: `${rule.id}:${key}`,
      alertId: rule.id,
      tenantId: rule.tenantId,
      alertName: rule.name,
      venue,
      symbol,
      source,
      at,
      price,
      interval,
      values,
      event: event ? event.kind : null,
      pauseDeployment: slot.dataQuality?.pauseDeployment ?? false,
      message,
      final: slot.done,
    };
  }
}
