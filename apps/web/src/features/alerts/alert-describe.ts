import type { AlertFiringView, AlertStateView, AlertView } from '@qt/shared';
import type { BadgeTone } from '../../components/ui/badge';
import { formatDecimal } from '../markets/decimal-text';
import { conditionKindLabels, opLabels, triggerLabels } from './alert-form-model';

/** An alert's state as the list shows it: `fired_out` is a `once` alert that has fired. */
export const stateLabels: Record<AlertStateView, { text: string; tone: BadgeTone }> = {
  active: { text: 'active', tone: 'green' },
  paused: { text: 'paused', tone: 'amber' },
  fired_out: { text: 'fired', tone: 'blue' },
  expired: { text: 'expired', tone: 'neutral' },
};

function text(v: unknown): string {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : '?';
}

/** A price with the digits it was set with ("65000.50" stays .50), grouped; anything not a decimal is shown as is. */
function price(v: unknown): string {
  const s = text(v);
  return /^\d+(\.\d+)?$/.test(s) ? formatDecimal(s, (s.split('.')[1] ?? '').length) : s;
}

/** One line in words: "Price crosses 65,000.50", "RSI(14, 1m) is above 70", "any of: …". */
export function describeCondition(c: Record<string, unknown>): string {
  const op = opLabels[text(c.op)] ?? text(c.op);
  switch (c.kind) {
    case 'price':
      return `Price ${op} ${price(c.value)}`;
    case 'range':
      return `Price ${op} ${price(c.low)} – ${price(c.high)}`;
    case 'percentMove':
      return `Moves ${c.direction === 'down' ? 'down' : 'up'} ${text(c.percent)}% within ${Number(c.windowMs) / 1_000} s`;
    case 'volumeSpike':
      return `Volume (${text(c.interval)}) above ${text(c.factor)}× the mean of ${text(c.bars)} bars`;
    case 'rsi':
      return `RSI(${text(c.period)}, ${text(c.interval)}) ${op} ${text(c.value)}`;
    case 'macdCross':
      return `MACD(${text(c.fast)}, ${text(c.slow)}, ${text(c.signal)}, ${text(c.interval)}) ${op} its signal`;
    case 'bbandsCross':
      return `Close (${text(c.interval)}) ${op} the ${text(c.band)} Bollinger band (${text(c.period)}, ${text(c.stdDev)})`;
    case 'emaCross':
      return `EMA(${text(c.fast)}) ${op} EMA(${text(c.slow)}) on ${text(c.interval)}`;
    case 'dataQuality':
      return `Data quality: ${Array.isArray(c.events) ? c.events.join(', ') : '?'}${c.pauseDeployment ? ' (pauses the deployment)' : ''}`;
    case 'all':
    case 'any': {
      const parts = Array.isArray(c.conditions) ? (c.conditions as Record<string, unknown>[]) : [];
      return `${c.kind === 'all' ? 'all' : 'any'} of: ${parts.map(describeCondition).join('; ')}`;
    }
    default:
      return conditionKindLabels[c.kind as keyof typeof conditionKindLabels] ?? text(c.kind);
  }
}

export function describeTrigger(t: Record<string, unknown>): string {
  const label = triggerLabels[t.mode as keyof typeof triggerLabels] ?? text(t.mode);
  if (t.mode === 'every') return `Every time, at most once per ${Number(t.cooldownMs) / 1_000} s`;
  if (t.mode === 'oncePerBar' || t.mode === 'oncePerBarClose') return `${label} (${text(t.interval)})`;
  return label;
}

export function describeMarket(a: Pick<AlertView, 'venue' | 'symbol'>): string {
  return a.venue && a.symbol ? `${a.symbol} on ${a.venue}` : 'any market';
}

/** Where a firing went: "email sent", "webhook dead after 8 attempts: timeout". */
export function describeDelivery(d: NonNullable<AlertFiringView['deliveries']>[number]): string {
  const base = `${d.channelId} ${d.status}`;
  if (d.status === 'sent') return base;
  const tries = d.attempts > 0 ? ` after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}` : '';
  const why = d.lastError ?? d.reason;
  return `${base}${tries}${why ? `: ${why}` : ''}`;
}
