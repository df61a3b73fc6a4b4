import {
  type AlertView,
  type CreateAlertInput,
  compareDecimal,
  type KlineInterval,
  klineInterval,
  type UpdateAlertInput,
} from '@qt/shared';

/**
 * The Alerts form as plain data, and its translation to and from the API's shapes. Every field is the
 * string the input holds; prices stay decimal strings end to end (the engine compares them exactly).
 * The engine validates the rule in full (and answers VALIDATION_FAILED in words); this checks what a
 * person most often gets wrong, next to the field, before a round trip.
 */

export const conditionKinds = [
  'price',
  'range',
  'percentMove',
  'volumeSpike',
  'rsi',
  'macdCross',
  'bbandsCross',
  'emaCross',
  'dataQuality',
] as const;
export type ConditionKind = (typeof conditionKinds)[number];

export const conditionKindLabels: Record<ConditionKind, string> = {
  price: 'Price level',
  range: 'Price range',
  percentMove: 'Percentage move',
  volumeSpike: 'Volume spike',
  rsi: 'RSI',
  macdCross: 'MACD crosses signal',
  bbandsCross: 'Close crosses Bollinger band',
  emaCross: 'EMA crosses EMA',
  dataQuality: 'Data quality',
};

export const priceOps = ['crosses', 'crossesUp', 'crossesDown', 'above', 'below'] as const;
export const rangeOps = ['entersRange', 'exitsRange'] as const;
export const rsiOps = ['above', 'below', 'crossesUp', 'crossesDown'] as const;
export const crossOps = ['crosses', 'crossesUp', 'crossesDown'] as const;
export const bands = ['upper', 'middle', 'lower'] as const;
export const dataQualityEvents = [
  'feedStale',
  'gapDetected',
  'venueFailover',
  'deploymentFeedDegraded',
] as const;
export const triggerModes = ['once', 'oncePerBar', 'oncePerBarClose', 'every'] as const;
export const intervals: readonly KlineInterval[] = klineInterval.options;

export const opLabels: Record<string, string> = {
  crosses: 'crosses',
  crossesUp: 'crosses up',
  crossesDown: 'crosses down',
  above: 'is above',
  below: 'is below',
  entersRange: 'enters',
  exitsRange: 'exits',
};

export const triggerLabels: Record<(typeof triggerModes)[number], string> = {
  once: 'Once',
  oncePerBar: 'Once per bar',
  oncePerBarClose: 'Once per bar close',
  every: 'Every time, with a cooldown',
};

export interface AlertFormState {
  name: string;
  venue: string;
  symbol: string;
  kind: ConditionKind;
  priceOp: (typeof priceOps)[number];
  price: string;
  rangeOp: (typeof rangeOps)[number];
  low: string;
  high: string;
  moveDirection: 'up' | 'down';
  movePercent: string;
  moveWindowSeconds: string;
  /** The bar interval of volume and indicator conditions. */
  interval: KlineInterval;
  volumeBars: string;
  volumeFactor: string;
  rsiPeriod: string;
  rsiOp: (typeof rsiOps)[number];
  rsiValue: string;
  crossOp: (typeof crossOps)[number];
  fast: string;
  slow: string;
  signal: string;
  bbPeriod: string;
  bbStdDev: string;
  band: (typeof bands)[number];
  events: string[];
  deploymentId: string;
  pauseDeployment: boolean;
  triggerMode: (typeof triggerModes)[number];
  triggerInterval: KlineInterval;
  cooldownSeconds: string;
  /** `datetime-local` value (the browser's time zone) or empty for no expiry. */
  expiresAt: string;
  message: string;
  emailTo: string;
  webhookUrl: string;
}

export function emptyForm(over: Partial<AlertFormState> = {}): AlertFormState {
  return {
    name: '',
    venue: 'binance',
    symbol: 'BTC-USDT',
    kind: 'price',
    priceOp: 'crosses',
    price: '',
    rangeOp: 'entersRange',
    low: '',
    high: '',
    moveDirection: 'up',
    movePercent: '2',
    moveWindowSeconds: '300',
    interval: '1m',
    volumeBars: '20',
    volumeFactor: '3',
    rsiPeriod: '14',
    rsiOp: 'above',
    rsiValue: '70',
    crossOp: 'crosses',
    fast: '12',
    slow: '26',
    signal: '9',
    bbPeriod: '20',
    bbStdDev: '2',
    band: 'upper',
    events: ['feedStale'],
    deploymentId: '',
    pauseDeployment: false,
    triggerMode: 'once',
    triggerInterval: '1m',
    cooldownSeconds: '60',
    expiresAt: '',
    message: '',
    emailTo: '',
    webhookUrl: '',
    ...over,
  };
}

const decimal = /^\d{1,20}(\.\d{1,18})?$/;
const factor = /^\d{1,12}(\.\d{1,8})?$/;

export type FieldErrors = Partial<Record<keyof AlertFormState | 'form', string>>;

function int(value: string, min: number, max: number, field: keyof AlertFormState, errors: FieldErrors) {
  const n = Number(value);
  if (!/^\d{1,9}$/.test(value.trim()) || n < min || n > max) {
    errors[field] = `a whole number from ${min} to ${max}`;
    return min;
  }
  return n;
}

function price(value: string, field: keyof AlertFormState, errors: FieldErrors): string {
  const v = value.trim().replace(/,/g, '');
  if (!decimal.test(v)) errors[field] = 'a price such as 65000.50';
  return v;
}

function positive(value: string, field: keyof AlertFormState, errors: FieldErrors): string {
  const v = value.trim();
  if (!factor.test(v) || !/[1-9]/.test(v)) errors[field] = 'a number above zero, at most 8 decimals';
  return v;
}

function conditionOf(s: AlertFormState, errors: FieldErrors): Record<string, unknown> & { kind: string } {
  switch (s.kind) {
    case 'price':
      return { kind: 'price', op: s.priceOp, value: price(s.price, 'price', errors) };
    case 'range': {
      const low = price(s.low, 'low', errors);
      const high = price(s.high, 'high', errors);
      if (!errors.low && !errors.high && compareDecimal(low, high) >= 0) errors.low = 'below the high bound';
      return { kind: 'range', op: s.rangeOp, low, high };
    }
    case 'percentMove':
      return {
        kind: 'percentMove',
        direction: s.moveDirection,
        percent: positive(s.movePercent, 'movePercent', errors),
        windowMs: int(s.moveWindowSeconds, 1, 86_400, 'moveWindowSeconds', errors) * 1_000,
      };
    case 'volumeSpike':
      return {
        kind: 'volumeSpike',
        interval: s.interval,
        bars: int(s.volumeBars, 1, 500, 'volumeBars', errors),
        factor: positive(s.volumeFactor, 'volumeFactor', errors),
      };
    case 'rsi': {
      const value = Number(s.rsiValue);
      if (s.rsiValue.trim() === '' || !(value >= 0 && value <= 100)) errors.rsiValue = 'from 0 to 100';
      return {
        kind: 'rsi',
        interval: s.interval,
        period: int(s.rsiPeriod, 2, 1_000, 'rsiPeriod', errors),
        op: s.rsiOp,
        value,
      };
    }
    case 'macdCross': {
      const fast = int(s.fast, 2, 1_000, 'fast', errors);
      const slow = int(s.slow, 2, 1_000, 'slow', errors);
      if (!errors.fast && !errors.slow && fast >= slow) errors.fast = 'smaller than the slow period';
      return {
        kind: 'macdCross',
        interval: s.interval,
        fast,
        slow,
        signal: int(s.signal, 1, 1_000, 'signal', errors),
        op: s.crossOp,
      };
    }
    case 'bbandsCross': {
      const stdDev = Number(s.bbStdDev);
      if (!(stdDev >= 0.1 && stdDev <= 10)) errors.bbStdDev = 'from 0.1 to 10';
      return {
        kind: 'bbandsCross',
        interval: s.interval,
        period: int(s.bbPeriod, 2, 1_000, 'bbPeriod', errors),
        stdDev,
        band: s.band,
        op: s.crossOp,
      };
    }
    case 'emaCross': {
      const fast = int(s.fast, 2, 1_000, 'fast', errors);
      const slow = int(s.slow, 2, 1_000, 'slow', errors);
      if (!errors.fast && !errors.slow && fast >= slow) errors.fast = 'smaller than the slow period';
      return { kind: 'emaCross', interval: s.interval, fast, slow, op: s.crossOp };
    }
    case 'dataQuality': {
      if (s.events.length === 0) errors.events = 'pick at least one event';
      return {
        kind: 'dataQuality',
        events: s.events,
        ...(s.venue && { venue: s.venue }),
        ...(s.symbol && { symbol: s.symbol }),
        ...(s.deploymentId.trim() && { deploymentId: s.deploymentId.trim() }),
        pauseDeployment: s.pauseDeployment,
      };
    }
  }
}

function triggerOf(s: AlertFormState, errors: FieldErrors): Record<string, unknown> & { mode: string } {
  switch (s.triggerMode) {
    case 'once':
      return { mode: 'once' };
    case 'oncePerBar':
    case 'oncePerBarClose':
      return { mode: s.triggerMode, interval: s.triggerInterval };
    case 'every':
      return {
        mode: 'every',
        cooldownMs: int(s.cooldownSeconds, 1, 604_800, 'cooldownSeconds', errors) * 1_000,
      };
  }
}

/** `datetime-local` text as epoch ms in the browser's zone; null for none; NaN-free. */
export function expiryOf(local: string, now: number, errors: FieldErrors): number | null {
  if (local.trim() === '') return null;
  const ms = new Date(local).getTime();
  if (Number.isNaN(ms)) errors.expiresAt = 'a date and time';
  else if (ms <= now) errors.expiresAt = 'in the future';
  return Number.isNaN(ms) ? null : ms;
}

/** Epoch ms as a `datetime-local` value in the browser's zone. */
export function localDateTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** The channels the form describes; in-app is not a channel (every firing reaches the app). */
export function channelsOf(
  s: AlertFormState,
  webhookSecret: string | null,
  errors: FieldErrors,
): CreateAlertInput['channels'] {
  const out: CreateAlertInput['channels'] = [];
  const email = s.emailTo.trim();
  if (email) {
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) errors.emailTo = 'an email address';
    out.push({ kind: 'email', id: 'email', to: email });
  }
  const url = s.webhookUrl.trim();
  if (url) {
    if (!/^https?:\/\/\S+$/.test(url)) errors.webhookUrl = 'an http:// or https:// URL';
    if (!webhookSecret) errors.webhookUrl = 'a signing secret is needed';
    out.push({ kind: 'webhook', id: 'webhook', url, secret: webhookSecret ?? '' });
  }
  return out;
}

export type FormResult<T> = { ok: true; input: T } | { ok: false; errors: FieldErrors };

/** The create call for a form, or the problems to show beside its fields. */
export function toCreateInput(
  s: AlertFormState,
  webhookSecret: string | null,
  now: number,
): FormResult<CreateAlertInput> {
  const errors: FieldErrors = {};
  const name = s.name.trim();
  if (!name) errors.name = 'a name';
  const condition = conditionOf(s, errors);
  const trigger = triggerOf(s, errors);
  const expiresAt = expiryOf(s.expiresAt, now, errors);
  const channels = channelsOf(s, webhookSecret, errors);
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  const market = s.kind === 'dataQuality' ? {} : { venue: s.venue, symbol: s.symbol };
  return {
    ok: true,
    input: {
      name,
      ...market,
      condition,
      trigger,
      expiresAt,
      ...(s.message.trim() && { message: s.message.trim() }),
      channels,
    },
  };
}

/**
 * The update call. Channels are sent only when `channelsChanged`: the engine never returns a webhook's
 * secret, so sending them back unchanged is impossible without a new one (which the form then shows).
 */
export function toUpdateInput(
  alertId: string,
  s: AlertFormState,
  webhookSecret: string | null,
  channelsChanged: boolean,
  now: number,
): FormResult<UpdateAlertInput> {
  const created = toCreateInput(s, webhookSecret, now);
  if (!created.ok) {
    if (channelsChanged) return created;
    const { emailTo: _e, webhookUrl: _w, ...rest } = created.errors;
    if (Object.keys(rest).length > 0) return { ok: false, errors: rest };
    return toUpdateInput(alertId, { ...s, emailTo: '', webhookUrl: '' }, null, false, now);
  }
  const { channels, ...rule } = created.input;
  return { ok: true, input: { alertId, ...rule, ...(channelsChanged && { channels }) } };
}

const str = (v: unknown, fallback: string) =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : fallback;

function pick<T extends string>(options: readonly T[], v: unknown, fallback: T): T {
  return options.includes(v as T) ? (v as T) : fallback;
}

/** The form filled from a stored alert (for editing); unknown shapes keep the defaults. */
export function formOf(alert: AlertView): AlertFormState {
  const c = alert.condition;
  const t = alert.trigger;
  const base = emptyForm();
  const kind = pick(conditionKinds, c.kind, 'price');
  const interval = pick(intervals, c.interval, base.interval);
  const channel = (kind: string) => alert.channels.find((ch) => ch.kind === kind)?.target ?? '';
  return {
    ...base,
    name: alert.name,
    venue: alert.venue ?? str(c.venue, ''),
    symbol: alert.symbol ?? str(c.symbol, ''),
    kind,
    priceOp: pick(priceOps, c.op, base.priceOp),
    price: kind === 'price' ? str(c.value, '') : '',
    rangeOp: pick(rangeOps, c.op, base.rangeOp),
    low: str(c.low, ''),
    high: str(c.high, ''),
    moveDirection: c.direction === 'down' ? 'down' : 'up',
    movePercent: str(c.percent, base.movePercent),
    moveWindowSeconds: typeof c.windowMs === 'number' ? String(c.windowMs / 1_000) : base.moveWindowSeconds,
    interval,
    volumeBars: str(c.bars, base.volumeBars),
    volumeFactor: str(c.factor, base.volumeFactor),
    rsiPeriod: kind === 'rsi' ? str(c.period, base.rsiPeriod) : base.rsiPeriod,
    rsiOp: pick(rsiOps, c.op, base.rsiOp),
    rsiValue: kind === 'rsi' ? str(c.value, base.rsiValue) : base.rsiValue,
    crossOp: pick(crossOps, c.op, base.crossOp),
    fast: str(c.fast, base.fast),
    slow: str(c.slow, base.slow),
    signal: str(c.signal, base.signal),
    bbPeriod: kind === 'bbandsCross' ? str(c.period, base.bbPeriod) : base.bbPeriod,
    bbStdDev: str(c.stdDev, base.bbStdDev),
    band: pick(bands, c.band, base.band),
    events: Array.isArray(c.events) ? c.events.map(String) : base.events,
    deploymentId: str(c.deploymentId, ''),
    pauseDeployment: c.pauseDeployment === true,
    triggerMode: pick(triggerModes, t.mode, 'once'),
    triggerInterval: pick(intervals, t.interval, base.triggerInterval),
    cooldownSeconds: typeof t.cooldownMs === 'number' ? String(t.cooldownMs / 1_000) : base.cooldownSeconds,
    expiresAt: alert.expiresAt === null ? '' : localDateTime(alert.expiresAt),
    message: alert.message,
    emailTo: channel('email'),
    webhookUrl: channel('webhook'),
  };
}

/** A webhook signing secret: 32 random bytes as base64url, from the browser's CSPRNG. */
export function newWebhookSecret(bytes: (n: number) => Uint8Array = randomBytes): string {
  const raw = bytes(32);
  let bin = '';
  for (const b of raw) bin += String.fromCharCode(b);
  return `whsec_${btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')}`;
}

function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}
