import type { StrategyLogLine } from '@qt/strategy-runtime';
import type { PerformanceMetrics } from './metrics.ts';
import type { BacktestReport } from './report.ts';
import type { RoundTrip } from './round-trips.ts';

export type BacktestStatus = 'completed' | 'failed' | 'cancelled';

export interface EquityPoint {
  time: number;
  /** Exact, in the quote asset (decimal string). */
  equity: string;
  /** The same as a number, for charts. */
  value: number;
}

export interface DrawdownPoint {
  time: number;
  /** (peak - equity) / peak. */
  drawdown: number;
}

/** An order the strategy asked for, as it ended (or stood at the end of the run). */
export interface OrderRecord {
  id: string;
  handle: number;
  venue: string;
  symbol: string;
  side: string;
  type: string;
  timeInForce: string;
  postOnly: boolean;
  quantity: string;
  price: string | null;
  stopPrice: string | null;
  status: string;
  /** Risk, ledger or matcher code of a rejection; expiry or cancel reason; else null. */
  reason: string | null;
  filledQuantity: string;
  averagePrice: string | null;
  fees: string;
  createdAt: number;
  updatedAt: number;
}

export interface FillRecord {
  id: string;
  orderId: string;
  handle: number;
  venue: string;
  symbol: string;
  side: string;
  price: string;
  quantity: string;
  quote: string;
  fee: string;
  feeAsset: string;
  liquidity: string;
  time: number;
}

export interface BacktestMetrics extends PerformanceMetrics {
  initialEquity: string | null;
  finalEquity: string | null;
  /** Fees paid per asset (decimal strings). */
  feesPaid: Record<string, string>;
  orders: number;
  fills: number;
  rejections: number;
  rejectionsByCode: Record<string, number>;
  cancels: number;
  roundTrips: number;
  bars: number;
  candlesProcessed: number;
  tradesProcessed: number;
  /** Actions still waiting for the next bar when the data ended (candles mode); never submitted. */
  unsubmittedActions: number;
}

export interface BacktestResult {
  status: BacktestStatus;
  reason: string | null;
  mode: 'candles' | 'trades';
  interval: string;
  start: number;
  end: number;
  quoteAsset: string;
  equityCurve: EquityPoint[];
  drawdownCurve: DrawdownPoint[];
  orders: OrderRecord[];
  fills: FillRecord[];
  roundTrips: RoundTrip[];
  metrics: BacktestMetrics;
  balances: { asset: string; free: string; locked: string }[];
  positions: { venue: string; symbol: string; quantity: string; realizedPnl: string }[];
  /** The first log lines of the strategy (at most 1,000) and how many more were dropped. */
  logs: StrategyLogLine[];
  logsDropped: number;
  /** Notes, data coverage, warm-up, buy-and-hold and trade totals (report.ts). */
  report: BacktestReport;
}
