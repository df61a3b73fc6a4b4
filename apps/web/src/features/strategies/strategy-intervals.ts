import { type StrategyInterval, strategyInterval } from '@qt/shared';

/** The intervals a strategy can run on, in the picker's order (the API's enum order). */
export const strategyIntervals: readonly StrategyInterval[] = strategyInterval.options;

export function isStrategyInterval(value: string): value is StrategyInterval {
  return strategyInterval.safeParse(value).success;
}
