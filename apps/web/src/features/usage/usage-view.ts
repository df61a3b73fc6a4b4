import {
  TIER_CAPS,
  TIER_PRICE_CENTS,
  TIER_RATES,
  type Tier,
  type UsageDay,
  type UsageToday,
} from '@qt/shared';
import { formatCents } from '../billing/money.ts';
import { chartColors as c } from '../markets/chart-theme';

const count = new Intl.NumberFormat('en-US');
export const fmt = (n: number) => count.format(n);

/** The banner's sentence for a warning, with what the next plan allows (null: nothing to say). */
export function limitBanner(usage: UsageToday): string | null {
  const w = usage.warnings[0];
  if (!w) return null;
  const next = usage.nextTier;
  const what =
    w.what === 'backtests'
      ? `backtests per day (${fmt(w.used)} of ${fmt(w.limit)} used)`
      : w.what === 'orders'
        ? 'order rate'
        : 'request rate';
  const hit = w.fraction >= 1 ? 'reached' : 'is close to';
  const nextRates = next ? TIER_RATES[next] : null;
  const upgrade =
    next && nextRates
      ? ` The ${next} plan allows ${
          w.what === 'backtests'
            ? `${fmt(nextRates.backtestsPerDay)} backtests per day`
            : w.what === 'orders'
              ? `${fmt(nextRates.orders.limit)} orders per minute`
              : `${fmt(nextRates.perKey.limit)} requests per minute per key`
        }.`
      : '';
  return `Your ${usage.tier} plan ${hit} its ${what}: calls over it are refused with RATE_LIMITED (HTTP 429) until the budget refills.${upgrade}`;
}

/** Today's meters against the plan: [label, used, limit or null, unit]. */
export function todayMeters(
  u: UsageToday,
): { label: string; used: number; limit: number | null; testId: string }[] {
  return [
    {
      label: 'Requests (weighted)',
      used: u.today.requests,
      limit: u.dailyCeilings.requests,
      testId: 'usage-requests',
    },
    { label: 'Orders', used: u.today.orders, limit: u.dailyCeilings.orders, testId: 'usage-orders' },
    {
      label: 'Backtests started',
      used: u.today.backtests,
      limit: u.limits.backtestsPerDay,
      testId: 'usage-backtests',
    },
    {
      label: 'Backtest candles',
      used: u.today.backtestCandles,
      limit: null,
      testId: 'usage-backtest-candles',
    },
    { label: 'Strategy CPU (ms)', used: u.today.strategyCpuMs, limit: null, testId: 'usage-strategy-cpu' },
    { label: 'Alerts fired', used: u.today.alertsFired, limit: null, testId: 'usage-alerts' },
    { label: 'Stored rows', used: u.today.storageRows, limit: null, testId: 'usage-storage' },
  ];
}

/** The last days' weighted requests and orders, bars on one time axis. */
export function historyChartOption(days: readonly UsageDay[]) {
  const tooltip = {
    trigger: 'axis',
    backgroundColor: c.tooltipBg,
    borderColor: c.tooltipBorder,
    textStyle: { color: c.text, fontSize: 12 },
  };
  const axisLabel = { color: c.label, fontSize: 11 };
  return {
    animation: false,
    backgroundColor: 'transparent',
    tooltip,
    legend: { top: 0, textStyle: { color: c.label } },
    grid: { left: 8, right: 8, top: 32, bottom: 24, containLabel: true },
    xAxis: {
      type: 'category',
      data: days.map((d) => d.day.slice(5)),
      axisLine: { lineStyle: { color: c.axis } },
      axisLabel,
    },
    yAxis: [
      { type: 'value', name: 'requests', axisLabel, splitLine: { lineStyle: { color: c.grid } } },
      { type: 'value', name: 'orders', axisLabel, splitLine: { show: false } },
    ],
    series: [
      {
        name: 'Requests (weighted)',
        type: 'bar',
        data: days.map((d) => d.requests),
        itemStyle: { color: c.up },
      },
      {
        name: 'Orders',
        type: 'line',
        yAxisIndex: 1,
        data: days.map((d) => d.orders),
        itemStyle: { color: '#a78bfa' },
      },
    ],
  };
}

/** The pricing table's rows, straight from the one tier table in @qt/shared. */
export interface PricingRow {
  label: string;
  values: Record<Tier, string>;
}

export const TIERS: readonly Tier[] = ['FREE', 'PRO', 'ENTERPRISE'];

export function pricingRows(): PricingRow[] {
  const row = (label: string, f: (t: Tier) => string): PricingRow => ({
    label,
    values: { FREE: f('FREE'), PRO: f('PRO'), ENTERPRISE: f('ENTERPRISE') },
  });
  const perMin = (n: number, w: number) => `${fmt(n)} / ${w === 60 ? 'min' : `${w} s`}`;
  return [
    row('Price', (t) => {
      const cents = TIER_PRICE_CENTS[t];
      return cents === null ? 'By contract' : cents === 0 ? 'Free' : `${formatCents(cents, 'usd')} / month`;
    }),
    row('Requests per API key', (t) =>
      perMin(TIER_RATES[t].perKey.limit, TIER_RATES[t].perKey.windowSeconds),
    ),
    row('Burst per API key', (t) => fmt(TIER_RATES[t].perKey.burst)),
    row('Requests per workspace', (t) =>
      perMin(TIER_RATES[t].perTenant.limit, TIER_RATES[t].perTenant.windowSeconds),
    ),
    row('Orders', (t) => perMin(TIER_RATES[t].orders.limit, TIER_RATES[t].orders.windowSeconds)),
    row('Calls running at once', (t) => fmt(TIER_RATES[t].concurrentCalls)),
    row('WebSocket connections', (t) => fmt(TIER_RATES[t].wsConnections)),
    row('Live subscriptions', (t) => fmt(TIER_RATES[t].wsSubscriptions)),
    row('Running strategies', (t) => fmt(TIER_CAPS[t].deployments)),
    row('Backtests at once', (t) => fmt(TIER_CAPS[t].backtests)),
    row('Backtests per day', (t) => fmt(TIER_RATES[t].backtestsPerDay)),
    row('Candles per backtest', (t) => fmt(TIER_CAPS[t].backtestCandles)),
    row('History per query', (t) => `${fmt(TIER_RATES[t].historyDays)} days`),
    row('Active price alerts', (t) => fmt(TIER_CAPS[t].activeAlerts)),
    row('API keys', (t) => fmt(TIER_CAPS[t].apiKeys)),
    row('Paper accounts', (t) => fmt(TIER_CAPS[t].paperAccounts)),
  ];
}
