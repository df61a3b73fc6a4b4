import { createPgPool, type Db } from '@qt/db';
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
import { readJournal } from './posting-store.ts';
import { TradingService } from './trading-service.ts';

export interface Trading {
  service: TradingService;
  /** Feed the matcher a venue's best bid/ask (quotes stay in-process). */
  onQuote(quote: Quote): void;
  stop(): Promise<void>;
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
}): Promise<Trading> {
  const pool = createPgPool(params.databaseUrl, { max: 8 });
  // An idle connection that dies (database restart) must not become an uncaught error.
  pool.on('error', (err) => params.logger.warn({ err: err.message }, 'idle trading connection failed'));
  const service = new TradingService({
    db: params.db,
    pool,
    clock: params.clock,
    logger: params.logger,
    ...(params.fees ? { fees: params.fees } : {}),
    ...(params.slippage ? { slippage: params.slippage } : {}),
    ...(params.latencyMs !== undefined ? { latencyMs: params.latencyMs } : {}),
  });
  for (const i of params.instruments) service.setInstrument(i);
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
    stop: async () => {
      stopped = true;
      if (timer) clearInterval(timer);
      await sub.unsubscribe();
      await service.idle();
      service.stopRetries();
      await pool.end();
    },
  };
}
