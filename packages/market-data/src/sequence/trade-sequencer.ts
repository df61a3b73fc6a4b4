import type { Trade } from '@qt/shared';
import { IdWindow } from './id-window.ts';

/**
 * Per (venue, symbol) duplicate and gap detection.
 *
 * - `consecutive` (Binance trade ids; OKX `trades`, where a frame item covers `count` ids ending at
 *   `tradeId`): every id is accounted for. An id at or below the last one seen is a duplicate and is
 *   dropped, unless it falls in a gap still open (a late trade from an overlapping connection: accepted,
 *   and the gap shrinks). A jump is a gap: counted, and reported with the missing id range so the engine
 *   can backfill it over REST.
 * - `unique` (Bybit: `i` is unique but not sequential, UUIDs on derivatives): gaps cannot be detected.
 *   Duplicates are found by id among the last `window` trades of the symbol; a trade whose cross sequence
 *   `seq` is at or below every `seq` the window has already forgotten is treated as a duplicate too (a
 *   replay older than the window; trades sharing a `seq` come in one message of at most 1024, so the
 *   window must stay above that). A never-seen trade that old would be dropped as well: with the default window
 *   (10,000 trades per symbol) that only happens to a replay, not to live data.
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

export interface SequenceStats {
  /** Gap events (jumps). */
  gaps: number;
  /** Ids missing across all gaps, less those that arrived late. */
  missing: number;
  /** Trades dropped as duplicates. */
  duplicates: number;
  /** Trades that arrived late, inside a gap already reported. */
  recovered: number;
}

export interface TradeSequencerOptions {
  mode: 'consecutive' | 'unique';
  /** `unique` mode: ids remembered per symbol; keep it above 1024 (one Bybit message). Default 10,000. */
  window?: number;
  /** `consecutive` mode: open gaps remembered per symbol for late arrivals. Default 16. */
  openGaps?: number;
}

interface ConsecutiveState {
  last: number;
  /** Open gaps as flat [from, to] pairs, oldest first. */
  gaps: number[];
}

export class TradeSequencer {
  readonly #mode: 'consecutive' | 'unique';
  readonly #window: number;
  readonly #openGaps: number;
  readonly #consecutive = new Map<string, ConsecutiveState>();
  readonly #unique = new Map<string, IdWindow>();
  readonly #stats: SequenceStats = { gaps: 0, missing: 0, duplicates: 0, recovered: 0 };

  constructor(options: TradeSequencerOptions) {
    this.#mode = options.mode;
    this.#window = options.window ?? 10_000;
    this.#openGaps = options.openGaps ?? 16;
  }

  /**
   * Returns the trades to keep (the same array when nothing was dropped), calling `onGap` for each jump.
   * `ids` is the parser's flat [first, last] pair per trade.
   */
  accept(trades: Trade[], ids: readonly number[], onGap?: (gap: TradeGap) => void): Trade[] {
    let kept: Trade[] | null = null;
    for (let i = 0; i < trades.length; i++) {
      const trade = trades[i] as Trade;
      const keep =
        this.#mode === 'consecutive'
          ? this.#acceptConsecutive(trade, ids[2 * i] ?? Number.NaN, ids[2 * i + 1] ?? Number.NaN, onGap)
          : this.#acceptUnique(trade, ids[2 * i + 1] ?? Number.NaN);
      if (keep) {
        kept?.push(trade);
      } else {
        this.#stats.duplicates++;
        kept ??= trades.slice(0, i);
      }
    }
    return kept ?? trades;
  }

  stats(): SequenceStats {
    return { ...this.#stats };
  }

  /** Forgets a symbol's baseline (e.g. after a deliberate resubscribe from another point). */
  reset(symbol: string): void {
    this.#consecutive.delete(symbol);
    this.#unique.delete(symbol);
  }

  #acceptConsecutive(trade: Trade, first: number, last: number, onGap?: (gap: TradeGap) => void): boolean {
    if (!Number.isFinite(first) || !Number.isFinite(last)) return true;
    const state = this.#consecutive.get(trade.symbol);
    if (state === undefined) {
      this.#consecutive.set(trade.symbol, { last, gaps: [] });
      return true;
    }
    if (last <= state.last) return this.#fillGap(state, first, last);
    if (first > state.last + 1) {
      const gap: TradeGap = {
        venue: trade.venue,
        symbol: trade.symbol,
        fromId: state.last + 1,
        toId: first - 1,
        missing: first - 1 - state.last,
      };
      this.#stats.gaps++;
      this.#stats.missing += gap.missing;
      state.gaps.push(gap.fromId, gap.toId);
      if (state.gaps.length > 2 * this.#openGaps) state.gaps.splice(0, 2);
      onGap?.(gap);
    }
    state.last = last;
    return true;
  }

  /** An id at or below the last: a late trade if it lies inside an open gap, else a duplicate. */
  #fillGap(state: ConsecutiveState, first: number, last: number): boolean {
    const gaps = state.gaps;
    for (let g = 0; g < gaps.length; g += 2) {
      const from = gaps[g] as number;
      const to = gaps[g + 1] as number;
      if (first < from || last > to) continue;
      const pieces: number[] = [];
      if (first > from) pieces.push(from, first - 1);
      if (last < to) pieces.push(last + 1, to);
      gaps.splice(g, 2, ...pieces);
      this.#stats.recovered++;
      this.#stats.missing -= last - first + 1;
      return true;
    }
    return false;
  }

  #acceptUnique(trade: Trade, seq: number): boolean {
    let window = this.#unique.get(trade.symbol);
    if (window === undefined) {
      window = new IdWindow(this.#window);
      this.#unique.set(trade.symbol, window);
    }
    return window.accept(trade.tradeId, seq);
  }
}
