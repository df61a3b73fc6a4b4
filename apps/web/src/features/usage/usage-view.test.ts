import { TIER_CAPS, TIER_RATES, type UsageToday } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { historyChartOption, limitBanner, pricingRows } from './usage-view';

const today = (over: Partial<UsageToday> = {}): UsageToday => ({
  tier: 'FREE',
  nextTier: 'PRO',
  limits: { ...TIER_CAPS.FREE, ...TIER_RATES.FREE },
  dailyCeilings: { requests: 1_728_000, orders: 86_400 },
  today: {
    day: '2026-12-07',
    requests: 10,
    orders: 0,
    backtestCandles: 0,
    backtests: 0,
    strategyCpuMs: 0,
    alertsFired: 0,
    storageRows: 0,
  },
  warnings: [],
  ...over,
});

describe('usage view', () => {
  it('no banner without a warning', () => {
    expect(limitBanner(today())).toBeNull();
  });

  it('a request-rate refusal names the plan and what the next plan allows', () => {
    const text = limitBanner(today({ warnings: [{ what: 'requests', used: 600, limit: 600, fraction: 1 }] }));
    expect(text).toContain('Your FREE plan reached its request rate');
    expect(text).toContain('The PRO plan allows 6,000 requests per minute per key.');
  });

  it('near the daily backtests, with no next plan on ENTERPRISE', () => {
    const text = limitBanner(
      today({
        tier: 'ENTERPRISE',
        nextTier: null,
        warnings: [{ what: 'backtests', used: 1_700, limit: 2_000, fraction: 0.85 }],
      }),
    );
    expect(text).toContain('is close to its backtests per day (1,700 of 2,000 used)');
    expect(text).not.toContain('plan allows');
  });

  it('the pricing table is the tier table', () => {
    const rows = pricingRows();
    const keys = rows.find((r) => r.label === 'Requests per API key');
    expect(keys?.values).toEqual({ FREE: '600 / min', PRO: '6,000 / min', ENTERPRISE: '600,000 / min' });
    expect(rows.find((r) => r.label === 'API keys')?.values.PRO).toBe(String(TIER_CAPS.PRO.apiKeys));
    expect(rows.find((r) => r.label === 'Price')?.values).toEqual({
      FREE: 'Free',
      PRO: '$49.00 / month',
      ENTERPRISE: '$299.00 / month',
    });
  });

  it('charts one bar per day', () => {
    const days = [today().today, { ...today().today, day: '2026-12-08', requests: 5, orders: 2 }];
    const option = historyChartOption(days);
    expect(option.xAxis.data).toEqual(['12-07', '12-08']);
    expect(option.series[0]?.data).toEqual([10, 5]);
    expect(option.series[1]?.data).toEqual([0, 2]);
  });
});
