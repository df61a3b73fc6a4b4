import { type Clock, type Kline, type MessageBus, type Subscription, type Ticker, topics } from '@qt/shared';
import type { Logger } from '../../observability/logger.ts';
import { MINUTE_MS, TickerWindow, windowStartOf } from './ticker-window.ts';

/** How often changed tickers are pushed (and the most often any subscriber receives them). */
const PUBLISH_EVERY_MS = 1_000;

export interface TickerSources {
  /** Stored closed 1m candles with fromMs <= open time < toMs, oldest first. */
  storedCandles(venue: string, symbol: string, fromMs: number, toMs: number): Promise<Kline[]>;
  /** The aggregator's 1m candles still in memory (the open one, closed ones not yet persisted). */
  liveCandles(venue: string, symbol: string): Kline[];
}

interface Market {
  venue: string;
  symbol: string;
  configured: boolean;
  window: TickerWindow;
  /** The window version last pushed to subscribers. */
  sentVersion: number;
}

interface Subscriber {
  /** Changed tickers not yet taken, the newest per market: bounded by the number of followed markets. */
  pending: Map<string, Ticker>;
  wake: (() => void) | undefined;
}

const keyOf = (venue: string, symbol: string) => `${venue}:${symbol}`;

/**
 * 24-hour statistics of every followed market from the engine's own 1m candles: each market's window is
 * seeded from storage when it is first followed (start or `market.follow`) and then fed every 1m candle
 * version from the bus (updates of the open minute and closes, this engine's or another's). Once a second
 * the markets whose window changed are computed once and pushed to every subscriber (conflated: a slow
 * subscriber gets the newest figures per market, never a backlog).
 */
export class TickerService {
  readonly #markets = new Map<string, Market>();
  readonly #subscribers = new Set<Subscriber>();
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #sources: TickerSources;
  #sub: Subscription | null = null;
  #timer: NodeJS.Timeout | null = null;
  #badCandles = 0;

  constructor(deps: { clock: Clock; logger: Logger; sources: TickerSources }) {
    this.#clock = deps.clock;
    this.#logger = deps.logger;
    this.#sources = deps.sources;
  }

  /** Listens to candles on the bus and starts the once-a-second push. */
  async start(bus: MessageBus): Promise<void> {
    this.#sub = await bus.subscribe(topics.marketKlines, 'market.klines.>', (m) => this.onKline(m.data));
    this.#timer = setInterval(() => this.#publish(), PUBLISH_EVERY_MS);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    await this.#sub?.unsubscribe();
    this.#sub = null;
    for (const s of this.#subscribers) s.wake?.();
    this.#subscribers.clear();
  }

  /**
   * Starts keeping a market's window: live candles apply from now on, the stored day is laid under them
   * (a candle version with fewer trades never replaces the one held, so the order does not matter).
   */
  async track(venue: string, symbol: string, configured: boolean): Promise<void> {
    const key = keyOf(venue, symbol);
    if (this.#markets.has(key)) return;
    const market: Market = { venue, symbol, configured, window: new TickerWindow(), sentVersion: -1 };
    this.#markets.set(key, market);
    const now = this.#clock.now();
    const from = windowStartOf(now);
    const stored = await this.#sources.storedCandles(venue, symbol, from, now + MINUTE_MS);
    for (const k of [...stored, ...this.#sources.liveCandles(venue, symbol)]) this.#apply(market, k);
  }

  isTracked(venue: string, symbol: string): boolean {
    return this.#markets.has(keyOf(venue, symbol));
  }

  /** A candle version from the bus; other intervals and markets not followed are ignored. */
  onKline(k: Kline): void {
    if (k.interval !== '1m') return;
    const market = this.#markets.get(keyOf(k.venue, k.symbol));
    if (market) this.#apply(market, k);
  }

  /** Every followed market's figures now. */
  list(): Ticker[] {
    const now = this.#clock.now();
    return [...this.#markets.values()].map((m) => this.#tickerOf(m, now));
  }

  /** The current tickers first, then the changed ones at most once a second, until `signal` aborts. */
  async *stream(signal: AbortSignal): AsyncGenerator<Ticker[]> {
    const sub: Subscriber = { pending: new Map(), wake: undefined };
    const wake = () => {
      const w = sub.wake;
      sub.wake = undefined;
      w?.();
    };
    this.#subscribers.add(sub);
    signal.addEventListener('abort', wake, { once: true });
    try {
      yield this.list();
      while (!signal.aborted && this.#timer !== null) {
        if (sub.pending.size === 0) {
          await new Promise<void>((r) => {
            sub.wake = r;
          });
          continue;
        }
        const batch = [...sub.pending.values()];
        sub.pending.clear();
        yield batch;
      }
    } finally {
      signal.removeEventListener('abort', wake);
      this.#subscribers.delete(sub);
    }
  }

  #apply(market: Market, k: Kline): void {
    try {
      market.window.apply(k, this.#clock.now());
    } catch (err) {
      // A decimal past 18 places cannot be summed exactly: that candle is left out, counted and logged.
      this.#badCandles++;
      if (this.#badCandles === 1 || this.#badCandles % 1_000 === 0)
        this.#logger.warn(
          { err: err instanceof Error ? err.message : String(err), count: this.#badCandles },
          'candle left out of the 24h figures',
        );
    }
  }

  #tickerOf(m: Market, now: number): Ticker {
    return {
      venue: m.venue,
      symbol: m.symbol,
      ...m.window.figures(now),
      asOf: now,
      configured: m.configured,
    };
  }

  #publish(): void {
    const now = this.#clock.now();
    const changed: Ticker[] = [];
    for (const m of this.#markets.values()) {
      m.window.advance(now);
      if (m.window.version === m.sentVersion) continue;
      m.sentVersion = m.window.version;
      changed.push(this.#tickerOf(m, now));
    }
    if (changed.length === 0) return;
    for (const sub of this.#subscribers) {
      for (const t of changed) sub.pending.set(keyOf(t.venue, t.symbol), t);
      const w = sub.wake;
      sub.wake = undefined;
      w?.();
    }
  }
}
