import type { Db } from '@qt/db';
import type { BalanceView, Clock, FillView, OrderView } from '@qt/shared';
import {
  DEFAULT_FEE_SCHEDULE,
  DEFAULT_SLIPPAGE,
  type FeeSchedule,
  FeeTable,
  type MarketPrices,
  type MatchingEvent,
  PaperBook,
  PaperMatchingEngine,
  RiskEngine,
  type SlippageModel,
} from '@qt/trading';
import type pg from 'pg';
import type { Logger } from '../observability/logger.ts';
import { GroupCommit } from './group-commit.ts';
import { MarketMarks } from './market-marks.ts';
import { PersistenceHolds, type RetryBufferLimits } from './persistence-hold.ts';
import { type AccountMeta, DayBook, type TenantMeta } from './risk-inputs.ts';
import { KeyedSerialQueue } from './serial-queue.ts';
import { UpdateHub } from './update-hub.ts';

export interface TradingServiceOptions {
  db: Db;
  /** The hot path's writes (orders, fills, postings) go through `pg` directly, one statement each. */
  pool: pg.Pool;
  clock: Clock;
  logger: Logger;
  fees?: FeeSchedule;
  slippage?: Partial<SlippageModel>;
  latencyMs?: number;
  /** Bounds of the buffer of changes waiting for the database (defaults: HOLD_LIMITS). */
  retryBuffer?: Partial<RetryBufferLimits>;
}

/** Events of one matcher call, held back so the call's own task persists them before it answers. */
export interface Capture {
  accountId: string;
  orderId: string | null;
  events: MatchingEvent[];
}

/**
 * Everything the trading service holds, in one object that its modules share (each takes it as its
 * first argument). Only `book` (replaced by recovery) and `capture` (set around a matcher call) are ever
 * reassigned; everything else is one instance for the service's life.
 */
export interface TradingState {
  readonly db: Db;
  readonly pool: pg.Pool;
  readonly journal: GroupCommit;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly matcher: PaperMatchingEngine;
  readonly fees: FeeTable;
  readonly maxSlippageBps: number;
  readonly risk: RiskEngine;
  readonly queue: KeyedSerialQueue;
  /** Accounts whose changes wait for the database (persistence-hold.ts). */
  readonly holds: PersistenceHolds;
  readonly marks: MarketMarks;
  /** What a market buy's reservation is sized from (the marks and the matcher's top): planOrder's prices. */
  readonly prices: MarketPrices;
  readonly days: DayBook;
  readonly accounts: Map<string, AccountMeta>;
  readonly tenants: Map<string, TenantMeta>;
  readonly orderHub: UpdateHub<OrderView>;
  readonly fillHub: UpdateHub<FillView>;
  readonly balanceHub: UpdateHub<BalanceView[]>;
  /** The paper-account core's state (ledger, positions, open orders), applied after each commit. */
  book: PaperBook;
  capture: Capture | null;
}

/** The service's state; every matcher event goes to `onEvent` (the router, which needs the state). */
export function createTradingState(
  options: TradingServiceOptions,
  onEvent: (e: MatchingEvent) => void,
): TradingState {
  const fees = options.fees ?? DEFAULT_FEE_SCHEDULE;
  const marks = new MarketMarks();
  const matcher = new PaperMatchingEngine({
    clock: options.clock,
    onEvent,
    fees,
    ...(options.slippage ? { slippage: options.slippage } : {}),
    ...(options.latencyMs !== undefined ? { latencyMs: options.latencyMs } : {}),
  });
  return {
    queue: new KeyedSerialQueue(),
    holds: new PersistenceHolds(options.retryBuffer),
    marks,
    prices: {
      last: (venue, symbol) => marks.last(venue, symbol),
      ask: (venue, symbol) => marks.ask(venue, symbol),
      takerTop: (venue, symbol) => matcher.takerTop(venue, symbol, 'buy'),
    },
    days: new DayBook(),
    accounts: new Map(),
    tenants: new Map(),
    orderHub: new UpdateHub<OrderView>(),
    fillHub: new UpdateHub<FillView>(),
    balanceHub: new UpdateHub<BalanceView[]>(),
    book: new PaperBook(),
    capture: null,
    db: options.db,
    pool: options.pool,
    journal: new GroupCommit(options.pool),
    clock: options.clock,
    logger: options.logger.child({ component: 'trading' }),
    fees: new FeeTable(fees),
    maxSlippageBps: options.slippage?.maxSlippageBps ?? DEFAULT_SLIPPAGE.maxSlippageBps,
    matcher,
    risk: new RiskEngine(options.clock),
  };
}
