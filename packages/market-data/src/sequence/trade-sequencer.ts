import type { Trade } from '@qt/shared';
import { IdWindow } from './id-window.ts';

/**
 * Per (venue, symbol) duplicate and gap detection.
 *
 * - `consecutive` (Binance trade ids; OKX `trades`, where a frame item covers `count` ids ending at
 *   `tradeId`): every id is accounted for. An id at or below the last one seen is a duplicate and is
 *   dropped, unless it falls in a gap still open (a late trade from an overlapping connection: accepted,
 *   and the gap shrinks). A jump is a gap, reported with the missing id range so the engine can backfill
 *   it over REST. With `gapGraceMs` a gap is reported only once it is still open that long after it was
 *   seen: during a connection switch the new socket can run ahead of the old one, whose late frames fill
 *   the hole moments later (counted as `reordered`, never as a gap).
 *   A venue that restarts its ids (a server restart) shows as a backwards jump of more than `idResetJump`
 *   ids, or as an id at or below the last whose exchange time is later than every trade seen (a
 *   duplicate carries its original's time, and ids rise with time): the symbol is re-based on the new
 *   series and `onReset` is called, instead of dropping the new series as duplicates.
 * - `unique` (Bybit: `i` is unique but not sequential, UUIDs on derivatives): gaps cannot be detected.
 *   Duplicates are found by id among the last `window` trades of the symbol, and by nothing else: a
 *   never-seen id is never a duplicate (Bybit's `seq` restarts on a new connection, so it cannot order
 *   trades across connections).
 *
 * The first trade seen for a symbol sets its baseline: nothing before it counts as missing.
 */
export interface TradeGap {
  readonly venue: string;
  readonly symbol: string;
  /** The first and last missing venue trade ids, inclusive. */
  readonly fromId: number;
  readonly toId: number;
  readonly missing: number;
}

/** A symbol's ids restarted: `firstId` (the new series) came after `lastId` (the old one). */
export interface TradeIdReset {
  readonly venue: string;
  readonly symbol: string;
  readonly lastId: number;
  readonly firstId: number;
}

export interface SequenceStats {
  /** Gaps reported (still open after the grace period). */
  gaps: number;
  /** Ids missing across reported gaps, less those that arrived late. */
  missing: number;
  /** Trades dropped as duplicates. */
  duplicates: number;
  /** Trades that arrived late, inside a gap already reported. */
  recovered: number;
  /** Trades that arrived out of order inside a gap not yet reported (within the grace period). */
  reordered: number;
  /** Ids missing in gaps seen but not yet reported (within the grace period). */
  pending: number;
  /** Venue id restarts the sequencer re-based on. */
  idResets: number;
}

export interface TradeSequencerOptions {
  mode: 'consecutive' | 'unique';
  /** `unique` mode: ids remembered per symbol; keep it above 1024 (one Bybit message). Default 10,000. */
  window?: number;
  /** `consecutive` mode: open gaps remembered per symbol for late arrivals. Default 16. */
  openGaps?: number;
  /**
   * `consecutive` mode: a gap is reported once it has stayed open this long (call `reportDueGaps`);
   * 0 (default) reports it at once, from `accept`.
   */
  gapGraceMs?: number;
  /** `consecutive` mode: a backwards jump of more ids than this is a venue id restart. Default 10,000. */
  idResetJump?: number;
}

/** `dueAt` of a gap already reported. */
const reported = -1;

interface ConsecutiveState {
  readonly venue: string;
  last: number;
  /** The latest exchange time among accepted trades (ids rise with time). */
  lastTime: number;
  /** Open gaps as flat [from, to, dueAt] triples, oldest first; dueAt is `reported` once reported. */
  gaps: number[];
}

export class TradeSequencer {
  readonly #mode: 'consecutive' | 'unique';
  readonly #window: number;
  readonly #openGaps: number;
  readonly #graceMs: number;
  readonly #idResetJump: number;
  readonly #consecutive = new Map<string, ConsecutiveState>();
  readonly #unique = new Map<string, IdWindow>();
  readonly #stats: SequenceStats = {
    gaps: 0,
    missing: 0,
    duplicates: 0,
    recovered: 0,
    reordered: 0,
    pending: 0,
    idResets: 0,
  };
  /** Gaps seen and not yet reported, over all symbols (so `reportDueGaps` is free when there are none). */
  #pendingGaps = 0;

  constructor(options: TradeSequencerOptions) {
    this.#mode = options.mode;
    this.#window = options.window ?? 10_000;
    this.#openGaps = options.openGaps ?? 16;
    this.#graceMs = Math.max(0, options.gapGraceMs ?? 0);
    this.#idResetJump = options.idResetJump ?? 10_000;
  }

  /**
   * Returns the trades to keep (the same array when nothing was dropped). `ids` is the parser's flat
   * [first, last] pair per trade; `now` (receive time) starts a gap's grace period. `onGap` is called for
   * a gap reported at once (no grace, or a pending gap pushed out by a reset or by the open-gap bound),
   * `onReset` for a venue id restart.
   */
  accept(
    trades: Trade[],
    ids: readonly number[],
    onGap?: (gap: TradeGap) => void,
    now = 0,
    onReset?: (reset: TradeIdReset) => void,
  ): Trade[] {
    let kept: Trade[] | null = null;
    for (let i = 0; i < trades.length; i++) {
      const trade = trades[i] as Trade;
      const keep =
        this.#mode === 'consecutive'
          ? this.#acceptConsecutive(
              trade,
              ids[2 * i] ?? Number.NaN,
              ids[2 * i + 1] ?? Number.NaN,
              now,
              onGap,
              onReset,
            )
          : this.#acceptUnique(trade);
      if (keep) {
        kept?.push(trade);
      } else {
        this.#stats.duplicates++;
        kept ??= trades.slice(0, i);
      }
    }
    return kept ?? trades;
  }

  /** Reports every gap still open whose grace period ended at or before `now`. */
  reportDueGaps(now: number, onGap?: (gap: TradeGap) => void): void {
    if (this.#pendingGaps === 0) return;
    for (const [symbol, state] of this.#consecutive) {
      const gaps = state.gaps;
      for (let g = 0; g < gaps.length; g += 3) {
        const due = gaps[g + 2] as number;
        if (due !== reported && due <= now) this.#report(state, symbol, g, onGap);
      }
    }
  }

  stats(): SequenceStats {
    return { ...this.#stats };
  }

  /** Forgets a symbol's baseline (e.g. after a deliberate resubscribe from another point). */
  reset(symbol: string): void {
    const state = this.#consecutive.get(symbol);
    if (state !== undefined) this.#dropPending(state);
    this.#consecutive.delete(symbol);
    this.#unique.delete(symbol);
  }

  #acceptConsecutive(
    trade: Trade,
    first: number,
    last: number,
    now: number,
    onGap?: (gap: TradeGap) => void,
    onReset?: (reset: TradeIdReset) => void,
  ): boolean {
    if (!Number.isFinite(first) || !Number.isFinite(last)) return true;
    const state = this.#consecutive.get(trade.symbol);
    if (state === undefined) {
      this.#consecutive.set(trade.symbol, {
        venue: trade.venue,
        last,
        lastTime: trade.exchangeTime,
        gaps: [],
      });
      return true;
    }
    if (last <= state.last) {
      if (this.#fillGap(state, first, last)) return true;
      if (state.last - first <= this.#idResetJump && !(trade.exchangeTime > state.lastTime)) return false;
      this.#rebase(state, trade, first, last, onGap, onReset);
      return true;
    }
    if (first > state.last + 1) {
      const gaps = state.gaps;
      gaps.push(state.last + 1, first - 1, now + this.#graceMs);
      this.#pendingGaps++;
      this.#stats.pending += first - 1 - state.last;
      if (this.#graceMs === 0) this.#report(state, trade.symbol, gaps.length - 3, onGap);
      if (gaps.length > 3 * this.#openGaps) {
        // The oldest open gap is forgotten (late trades inside it will count as duplicates): report it first.
        if (gaps[2] !== reported) this.#report(state, trade.symbol, 0, onGap);
        gaps.splice(0, 3);
      }
    }
    state.last = last;
    if (trade.exchangeTime > state.lastTime) state.lastTime = trade.exchangeTime;
    return true;
  }

  /** Reports the open gap at `g` (its pending ids become missing). */
  #report(state: ConsecutiveState, symbol: string, g: number, onGap?: (gap: TradeGap) => void): void {
    const gaps = state.gaps;
    const fromId = gaps[g] as number;
    const toId = gaps[g + 1] as number;
    const missing = toId - fromId + 1;
    gaps[g + 2] = reported;
    this.#pendingGaps--;
    this.#stats.pending -= missing;
    this.#stats.gaps++;
    this.#stats.missing += missing;
    onGap?.({ venue: state.venue, symbol, fromId, toId, missing });
  }

  /** An id at or below the last: a late trade if it lies inside an open gap, else not taken here. */
  #fillGap(state: ConsecutiveState, first: number, last: number): boolean {
    const gaps = state.gaps;
    for (let g = 0; g < gaps.length; g += 3) {
      const from = gaps[g] as number;
      const to = gaps[g + 1] as number;
      if (first < from || last > to) continue;
      const due = gaps[g + 2] as number;
      const pieces: number[] = [];
      if (first > from) pieces.push(from, first - 1, due);
      if (last < to) pieces.push(last + 1, to, due);
      gaps.splice(g, 3, ...pieces);
      const filled = last - first + 1;
      if (due === reported) {
        this.#stats.recovered++;
        this.#stats.missing -= filled;
      } else {
        this.#stats.reordered++;
        this.#stats.pending -= filled;
        this.#pendingGaps += pieces.length / 3 - 1;
      }
      return true;
    }
    return false;
  }

  /** The venue restarted its ids: the old series' open gaps are reported, the new series is the baseline. */
  #rebase(
    state: ConsecutiveState,
    trade: Trade,
    first: number,
    last: number,
    onGap?: (gap: TradeGap) => void,
    onReset?: (reset: TradeIdReset) => void,
  ): void {
    const gaps = state.gaps;
    for (let g = 0; g < gaps.length; g += 3)
      if (gaps[g + 2] !== reported) this.#report(state, trade.symbol, g, onGap);
    const previous = state.last;
    state.gaps = [];
    state.last = last;
    state.lastTime = trade.exchangeTime;
    this.#stats.idResets++;
    onReset?.({ venue: state.venue, symbol: trade.symbol, lastId: previous, firstId: first });
  }

  #dropPending(state: ConsecutiveState): void {
    const gaps = state.gaps;
    for (let g = 0; g < gaps.length; g += 3) {
      if (gaps[g + 2] === reported) continue;
      this.#pendingGaps--;
      this.#stats.pending -= (gaps[g + 1] as number) - (gaps[g] as number) + 1;
    }
  }

  #acceptUnique(trade: Trade): boolean {
    let window = this.#unique.get(trade.symbol);
    if (window === undefined) {
      window = new IdWindow(this.#window);
      this.#unique.set(trade.symbol, window);
    }
    return window.accept(trade.tradeId);
  }
}
