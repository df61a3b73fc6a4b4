import { performance } from 'node:perf_hooks';
import type { Db } from '@qt/db';
import {
  type Clock,
  type Instrument,
  type MessageBus,
  type Quote,
  type Subscription,
  topics,
} from '@qt/shared';
import type { FeeSchedule, SlippageModel } from '@qt/trading';
import type { Logger } from '../observability/logger.ts';
import { bookDepthSource, type LiveBooks } from './book-depth.ts';
import { readJournal } from './posting-store.ts';
import { createTradingPool, type TradingDbTimeouts } from './trading-pool.ts';
import { TradingService } from './trading-service.ts';

/**
 * How long `stop()` may take by default. Within it: queued changes are stored, held ones get one last
 * attempt, the pool closes. A hung database cannot stretch it: what is still waiting at the deadline is
 * reported and left to the restart (which rebuilds those accounts from the database).
 */
export const TRADING_STOP_TIMEOUT_MS = 3_000;

export interface Trading {
  service: TradingService;
  /** Feed the matcher a venue's best bid/ask (quotes stay in-process). */
  onQuote(quote: Quote): void;
  /**
   * Bounded by `timeoutMs` (default `TRADING_STOP_TIMEOUT_MS`), also when the database hangs; what was
   * left unstored is logged and in `service.persistenceHolds()`.
   */
  stop(timeoutMs?: number): Promise<void>;
}

/**
 * Paper trading in the engine: recovers the state from the database (ledger, positions, open orders back
 * into the matcher), then follows market trades on the bus. Instruments are registered before recovery so
 * restored orders find their book.
 */
export async function startTrading(params: {
  db: Db;
  /** For trading's own `pg` pool (the order path's one-statement writes); closed by `stop()`. */
  databaseUrl: string;
  bus: MessageBus;
  clock: Clock;
  logger: Logger;
  instruments: readonly Instrument[];
  fees?: FeeSchedule;
  slippage?: Partial<SlippageModel>;
  latencyMs?: number;
  /** The engine's L2 books: market takers walk a live book's levels (without: modelled depth). */
  depth?: LiveBooks;
  /** Overrides of `TRADING_DB_TIMEOUTS` (tests). */
  dbTimeouts?: Partial<TradingDbTimeouts>;
}): Promise<Trading> {
  const pool = createTradingPool(params.databaseUrl, params.logger, {
    ...(params.dbTimeouts ? { timeouts: params.dbTimeouts } : {}),
  });
  const service = new TradingService({
    db: params.db,
    pool,
    clock: params.clock,
    logger: params.logger,
    ...(params.fees ? { fees: params.fees } : {}),
    ...(params.slippage ? { slippage: params.slippage } : {}),
    ...(params.latencyMs !== undefined ? { latencyMs: params.latencyMs } : {}),
  });
  for (const i of params.instruments) {
    service.setInstrument(i);
    if (params.depth)
      service.setDepthSource(i.venue, i.symbol, bookDepthSource(params.depth, i.venue, i.symbol));
  }
  try {
    await service.recover(readJournal(params.db));
  } catch (err) {
    await pool.end();
    throw err;
  }
  let stopped = false;
  const sub: Subscription = await params.bus.subscribe(topics.marketTrades, 'market.trades.>', (m) => {
    if (stopped) return;
    for (const t of m.data.trades) service.onTrade(t);
  });
  let timer: NodeJS.Timeout | undefined;
  if ((params.latencyMs ?? 0) > 0) {
    timer = setInterval(() => service.advance(), Math.max(5, Math.floor((params.latencyMs ?? 0) / 2)));
    timer.unref();
  }
  return {
    service,
    onQuote: (q) => {
      if (!stopped) service.onQuote(q);
    },
    stop: async (timeoutMs = TRADING_STOP_TIMEOUT_MS) => {
      const deadline = performance.now() + timeoutMs;
      const left = (share: number) => Math.max(0, deadline - performance.now() - timeoutMs * share);
      stopped = true;
      if (timer) clearInterval(timer);
      await sub.unsubscribe();
      // Half the budget for what is queued; with a hung database the queue would wait out every
      // write's timeout, so the wait is bounded rather than complete.
      await within(service.idle(), left(0.5));
      // Held changes get one last attempt (the database may be back), until 80 % of the budget.
      await service.stopRetries(left(0.2));
      // Ends idle connections at once; a connection still in a hung query is dropped by its query
      // timeout, which is not waited for past the deadline.
      await within(pool.end(), left(0));
    },
  };
}

/** Waits for `p`, at most `ms`; a rejection counts as done (shutdown reports, it does not throw). */
async function within(p: Promise<unknown>, ms: number): Promise<void> {
  let t: NodeJS.Timeout | undefined;
  await Promise.race([
    p.catch(() => {}),
    new Promise<void>((resolve) => {
      t = setTimeout(resolve, ms);
    }),
  ]);
  clearTimeout(t);
}
