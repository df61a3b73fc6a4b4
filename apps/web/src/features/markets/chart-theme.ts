import { intervalMs, isChartInterval } from './chart-intervals';

/** The chart's colours: Tailwind's emerald-400 / rose-400 and zinc greys, as the rest of the dashboard. */
export const chartColors = {
  up: '#34d399',
  down: '#fb7185',
  upVolume: 'rgba(52, 211, 153, 0.45)',
  downVolume: 'rgba(251, 113, 133, 0.45)',
  axis: '#3f3f46',
  grid: 'rgba(63, 63, 70, 0.35)',
  label: '#a1a1aa',
  crosshair: '#71717a',
  tooltipBg: 'rgba(9, 9, 11, 0.94)',
  tooltipBorder: '#3f3f46',
  text: '#e4e4e7',
} as const;

const pad = (n: number) => String(n).padStart(2, '0');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** An axis or tooltip time for a candle open time, as fine as the interval needs (local time). */
export function formatCandleTime(openTime: number, interval: string, withDate = false): string {
  const d = new Date(openTime);
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const ms = isChartInterval(interval) ? intervalMs(interval) : HOUR;
  if (ms >= DAY) return date;
  const time = ms < MINUTE ? `${hm}:${pad(d.getSeconds())}` : hm;
  // Above an hour a screen of candles spans days: the axis shows the day too.
  return withDate || ms > HOUR ? `${withDate ? date : date.slice(5)} ${time}` : time;
}
