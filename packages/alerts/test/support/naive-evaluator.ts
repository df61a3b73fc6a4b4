import { computeIndicator } from '@qt/indicators';
import { compareDecimal, mulDecimal, subtractDecimal } from '@qt/shared';
import {
  type AlertCandle,
  type AlertRule,
  type AlertTrade,
  evaluationOf,
  intervalMs,
  type MarketCondition,
  type MarketLeaf,
  parseAlertRule,
} from '../../src/index.ts';

/**
 * The oracle for the property tests: the same documented semantics, written the obvious way and sharing
 * no code with the indexed evaluator. Every alert of a market is evaluated on every accepted trade or
 * closed candle; prices are compared as decimal strings (compareDecimal), percentage moves and volume
 * spikes by exact decimal multiplication, indicators by recomputing the batch form over every close
 * since the indicator was first needed. It returns the firings' identity (id, time, price, final).
 */
export interface NaiveFiring {
  id: string;
  at: number;
  price: string | null;
  final: boolean;
}

interface NaiveAlert {
  rule: AlertRule;
  done: boolean;
  lastFiredAt: number | null;
  lastFiredBar: number | null;
}

interface NaiveMarket {
  lastPrice: string | null;
  lastTs: number | null;
  ids: Set<string>;
  trades: { ts: number; price: string }[];
  moveStart: Map<string, number>;
}

interface NaiveSeries {
  lastOpenTime: number | null;
  candles: AlertCandle[];
  indStart: Map<string, number>;
}

const cmp = compareDecimal;

function leaves(c: MarketCondition, out: MarketLeaf[] = []): MarketLeaf[] {
  if (c.kind === 'all' || c.kind === 'any') for (const x of c.conditions) leaves(x, out);
  else out.push(c as MarketLeaf);
  return out;
}

function crossedDec(op: string, p0: string, p1: string, v: string): boolean {
  const up = cmp(p0, v) < 0 && cmp(v, p1) <= 0;
  const down = cmp(p0, v) > 0 && cmp(v, p1) >= 0;
  return op === 'crossesUp' ? up : op === 'crossesDown' ? down : up || down;
}

function crossedNum(op: string, prev: number, cur: number): boolean {
  if (Number.isNaN(prev) || Number.isNaN(cur)) return false;
  const up = prev < 0 && 0 <= cur;
  const down = prev > 0 && 0 >= cur;
  return op === 'crossesUp' ? up : op === 'crossesDown' ? down : up || down;
}

export class NaiveEvaluator {
  readonly alerts: NaiveAlert[] = [];
  readonly markets = new Map<string, NaiveMarket>();
  readonly series = new Map<string, NaiveSeries>();

  add(input: unknown): void {
    const rule = parseAlertRule(input);
    this.alerts.push({ rule, done: false, lastFiredAt: null, lastFiredBar: null });
    if (rule.condition.kind === 'dataQuality') return;
    const m = this.#market(`${rule.venue}:${rule.symbol}`);
    const ev = evaluationOf(rule);
    for (const leaf of leaves(rule.condition as MarketCondition)) {
      if (leaf.kind === 'percentMove') {
        const key = `${leaf.windowMs}:${leaf.direction}`;
        if (!m.moveStart.has(key)) m.moveStart.set(key, m.trades.length);
      }
    }
    if (ev.kind === 'close') {
      const s = this.#series(`${rule.venue}:${rule.symbol}:${ev.interval}`);
      for (const key of indicatorKeys(rule.condition as MarketCondition)) {
        if (!s.indStart.has(key)) s.indStart.set(key, s.candles.length);
      }
    }
  }

  onTrade(t: AlertTrade): NaiveFiring[] {
    const m = this.#market(`${t.venue}:${t.symbol}`);
    if (m.lastTs !== null && t.ts < m.lastTs) return [];
    if (m.lastTs === t.ts && m.ids.has(t.tradeId)) return [];
    if (m.lastTs !== t.ts) m.ids.clear();
    m.ids.add(t.tradeId);
    m.lastTs = t.ts;
    const p0 = m.lastPrice;
    m.lastPrice = t.price;
    m.trades.push({ ts: t.ts, price: t.price });
    const out: NaiveFiring[] = [];
    for (const a of this.alerts) {
      const r = a.rule;
      if (r.condition.kind === 'dataQuality' || r.venue !== t.venue || r.symbol !== t.symbol) continue;
      if (evaluationOf(r).kind !== 'trade' || a.done) continue;
      if (r.expiresAt !== null && t.ts >= r.expiresAt) {
        a.done = true;
        continue;
      }
      const holds = this.#holds(r.condition as MarketCondition, (leaf) => this.#tradeLeaf(leaf, m, p0, t));
      if (holds && this.#gate(a, t.ts))
        out.push({ id: `${r.id}:t:${t.tradeId}`, at: t.ts, price: t.price, final: a.done });
    }
    return out;
  }

  onCandle(c: AlertCandle): NaiveFiring[] {
    const s = this.#series(`${c.venue}:${c.symbol}:${c.interval}`);
    if (s.lastOpenTime !== null && c.openTime <= s.lastOpenTime) return [];
    s.lastOpenTime = c.openTime;
    s.candles.push(c);
    const out: NaiveFiring[] = [];
    for (const a of this.alerts) {
      const r = a.rule;
      if (r.condition.kind === 'dataQuality' || r.venue !== c.venue || r.symbol !== c.symbol) continue;
      const ev = evaluationOf(r);
      if (ev.kind !== 'close' || ev.interval !== c.interval || a.done) continue;
      if (r.expiresAt !== null && c.closeTime >= r.expiresAt) {
        a.done = true;
        continue;
      }
      const holds = this.#holds(r.condition as MarketCondition, (leaf) => this.#barLeaf(leaf, s));
      if (holds && this.#gate(a, c.closeTime)) {
        out.push({
          id: `${r.id}:b:${c.interval}:${c.openTime}`,
          at: c.closeTime,
          price: c.close,
          final: a.done,
        });
      }
    }
    return out;
  }

  #holds(c: MarketCondition, leaf: (l: MarketLeaf) => boolean): boolean {
    if (c.kind === 'all') return c.conditions.every((x) => this.#holds(x, leaf));
    if (c.kind === 'any') return c.conditions.some((x) => this.#holds(x, leaf));
    return leaf(c as MarketLeaf);
  }

  #priceLeaf(leaf: MarketLeaf, p0: string | null, p1: string): boolean {
    if (leaf.kind === 'price') {
      if (leaf.op === 'above') return cmp(p1, leaf.value) > 0;
      if (leaf.op === 'below') return cmp(p1, leaf.value) < 0;
      return p0 !== null && crossedDec(leaf.op, p0, p1, leaf.value);
    }
    if (leaf.kind === 'range') {
      if (p0 === null) return false;
      const inside = (p: string) => cmp(leaf.low, p) <= 0 && cmp(p, leaf.high) <= 0;
      return leaf.op === 'entersRange' ? !inside(p0) && inside(p1) : inside(p0) && !inside(p1);
    }
    throw new Error(`not a price leaf: ${leaf.kind}`);
  }

  #tradeLeaf(leaf: MarketLeaf, m: NaiveMarket, p0: string | null, t: AlertTrade): boolean {
    if (leaf.kind !== 'percentMove') return this.#priceLeaf(leaf, p0, t.price);
    const start = m.moveStart.get(`${leaf.windowMs}:${leaf.direction}`) ?? 0;
    const window = m.trades.slice(start).filter((x) => x.ts > t.ts - leaf.windowMs);
    let ref = t.price;
    for (const x of window) {
      const c = cmp(x.price, ref);
      if (leaf.direction === 'up' ? c < 0 : c > 0) ref = x.price;
    }
    if (cmp(ref, '0') <= 0) return false;
    const move = leaf.direction === 'up' ? subtractDecimal(t.price, ref) : subtractDecimal(ref, t.price);
    return cmp(mulDecimal(leaf.percent, ref), mulDecimal(move, '100')) <= 0;
  }

  #barLeaf(leaf: MarketLeaf, s: NaiveSeries): boolean {
    const n = s.candles.length;
    const cur = s.candles[n - 1] as AlertCandle;
    const prev = n >= 2 ? (s.candles[n - 2] as AlertCandle) : null;
    switch (leaf.kind) {
      case 'price':
      case 'range':
        return this.#priceLeaf(leaf, prev ? prev.close : null, cur.close);
      case 'percentMove':
        throw new Error('percentMove is refused at bar close');
      case 'volumeSpike': {
        if (n - 1 < leaf.bars) return false;
        let sum = '0';
        for (const c of s.candles.slice(n - 1 - leaf.bars, n - 1)) sum = addDec(sum, c.baseVolume);
        return cmp(mulDecimal(cur.baseVolume, String(leaf.bars)), mulDecimal(leaf.factor, sum)) > 0;
      }
      case 'rsi': {
        const v = this.#outputs(s, 'rsi', { period: leaf.period }).value as Float64Array;
        const c1 = v[n - 1] as number;
        if (Number.isNaN(c1)) return false;
        if (leaf.op === 'above') return c1 > leaf.value;
        if (leaf.op === 'below') return c1 < leaf.value;
        const c0 = n >= 2 ? (v[n - 2] as number) : Number.NaN;
        return crossedNum(leaf.op, c0 - leaf.value, c1 - leaf.value);
      }
      case 'macdCross': {
        const o = this.#outputs(s, 'macd', { fast: leaf.fast, slow: leaf.slow, signal: leaf.signal });
        const d = (i: number) =>
          ((o.macd as Float64Array)[i] as number) - ((o.signal as Float64Array)[i] as number);
        return n >= 2 && crossedNum(leaf.op, d(n - 2), d(n - 1));
      }
      case 'bbandsCross': {
        const o = this.#outputs(s, 'bbands', {
          period: leaf.period,
          nbDevUp: leaf.stdDev,
          nbDevDn: leaf.stdDev,
        });
        const band = o[leaf.band] as Float64Array;
        const d = (i: number) => Number((s.candles[i] as AlertCandle).close) - (band[i] as number);
        return n >= 2 && crossedNum(leaf.op, d(n - 2), d(n - 1));
      }
      case 'emaCross': {
        const f = this.#outputs(s, 'ema', { period: leaf.fast }).value as Float64Array;
        const sl = this.#outputs(s, 'ema', { period: leaf.slow }).value as Float64Array;
        const d = (i: number) => (f[i] as number) - (sl[i] as number);
        return n >= 2 && crossedNum(leaf.op, d(n - 2), d(n - 1));
      }
    }
  }

  /** Outputs aligned with s.candles (NaN before the indicator existed). */
  #outputs(s: NaiveSeries, kind: string, params: Record<string, number>): Record<string, Float64Array> {
    const start = s.indStart.get(keyOf(kind, params)) ?? 0;
    const cs = s.candles.slice(start);
    const series = {
      high: Float64Array.from(cs, (c) => Number(c.high)),
      low: Float64Array.from(cs, (c) => Number(c.low)),
      close: Float64Array.from(cs, (c) => Number(c.close)),
      volume: Float64Array.from(cs, (c) => Number(c.baseVolume)),
    };
    const raw = computeIndicator(kind as never, params, series) as unknown as
      | Record<string, Float64Array>
      | Float64Array;
    const outs: Record<string, Float64Array> = raw instanceof Float64Array ? { value: raw } : raw;
    const aligned: Record<string, Float64Array> = {};
    for (const [k, v] of Object.entries(outs)) {
      const a = new Float64Array(s.candles.length).fill(Number.NaN);
      a.set(v, start);
      aligned[k] = a;
    }
    return aligned;
  }

  #gate(a: NaiveAlert, t: number): boolean {
    const tr = a.rule.trigger;
    if (tr.mode === 'once') {
      a.done = true;
      return true;
    }
    if (tr.mode === 'oncePerBarClose') return true;
    if (tr.mode === 'oncePerBar') {
      const bar = Math.floor(t / intervalMs[tr.interval]);
      if (bar === a.lastFiredBar) return false;
      a.lastFiredBar = bar;
      return true;
    }
    if (a.lastFiredAt !== null && t < a.lastFiredAt + tr.cooldownMs) return false;
    a.lastFiredAt = t;
    return true;
  }

  #market(key: string): NaiveMarket {
    let m = this.markets.get(key);
    if (!m) {
      m = { lastPrice: null, lastTs: null, ids: new Set(), trades: [], moveStart: new Map() };
      this.markets.set(key, m);
    }
    return m;
  }

  #series(key: string): NaiveSeries {
    let s = this.series.get(key);
    if (!s) {
      s = { lastOpenTime: null, candles: [], indStart: new Map() };
      this.series.set(key, s);
    }
    return s;
  }
}

function addDec(a: string, b: string): string {
  return subtractDecimal(a, subtractDecimal('0', b));
}

function keyOf(kind: string, params: Record<string, number>): string {
  return `${kind}(${Object.keys(params)
    .sort()
    .map((k) => `${k}=${params[k]}`)
    .join(',')})`;
}

function indicatorKeys(c: MarketCondition): string[] {
  const keys: string[] = [];
  for (const l of leaves(c)) {
    if (l.kind === 'rsi') keys.push(keyOf('rsi', { period: l.period }));
    if (l.kind === 'macdCross') keys.push(keyOf('macd', { fast: l.fast, slow: l.slow, signal: l.signal }));
    if (l.kind === 'bbandsCross')
      keys.push(keyOf('bbands', { period: l.period, nbDevUp: l.stdDev, nbDevDn: l.stdDev }));
    if (l.kind === 'emaCross') keys.push(keyOf('ema', { period: l.fast }), keyOf('ema', { period: l.slow }));
  }
  return keys;
}
