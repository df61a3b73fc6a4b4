import type { RiskLimits } from './limits.ts';

export interface DailyLoss {
  /** Capital at risk today: equity at 00:00 UTC plus today's net transfers. */
  readonly base: bigint;
  /** base - equity now; negative when the day is in profit. */
  readonly loss: bigint;
  /** Whether the loss is strictly beyond the limit (a loss exactly at the limit is allowed). */
  readonly breached: boolean;
}

/**
 * Exact: loss x 10 000 > maxDailyLossBps x base. An account that started the day with nothing (base <= 0)
 * has no capital to lose a share of, so it is never breached.
 */
export function dailyLoss(
  equity: bigint,
  dayStartEquity: bigint,
  netTransfersToday: bigint,
  limits: Pick<RiskLimits, 'maxDailyLossBps'>,
): DailyLoss {
  const base = dayStartEquity + netTransfersToday;
  const loss = base - equity;
  const limit = limits.maxDailyLossBps;
  const breached = limit !== null && base > 0n && loss * 10_000n > BigInt(limit) * base;
  return { base, loss, breached };
}
