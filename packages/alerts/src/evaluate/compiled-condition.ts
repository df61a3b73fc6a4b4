import type { MarketCondition } from '../rules/conditions.ts';
import { ONE_UNIT, toUnits } from '../rules/price.ts';
import type { BarSeries, SharedIndicator } from './bar-series.ts';
import type { MoveGroup } from './move-group.ts';

type CrossOp = 'crosses' | 'crossesUp' | 'crossesDown';

/** A condition with its decimals parsed to exact units and its shared state resolved. */
export type CompiledNode =
  | { k: 'all' | 'any'; children: CompiledNode[] }
  | { k: 'price'; op: 'crosses' | 'crossesUp' | 'crossesDown' | 'above' | 'below'; v: bigint }
  | { k: 'range'; op: 'entersRange' | 'exitsRange'; lo: bigint; hi: bigint }
  | { k: 'move'; group: MoveGroup; percent: bigint }
  | { k: 'volume'; bars: number; factor: bigint }
  | {
      k: 'rsi';
      ind: SharedIndicator;
      op: 'above' | 'below' | 'crossesUp' | 'crossesDown';
      v: number;
      label: string;
    }
  | { k: 'macd'; ind: SharedIndicator; op: CrossOp; label: string }
  | { k: 'bbands'; ind: SharedIndicator; band: number; op: CrossOp; label: string }
  | { k: 'ema'; fast: SharedIndicator; slow: SharedIndicator; op: CrossOp; label: string };

/** What a condition is evaluated against: the previous and current price (trade or bar close). */
export interface EvalContext {
  p0: bigint | null;
  p1: bigint;
  /** The bar series at a bar-close evaluation; null on trades. */
  series: BarSeries | null;
  /** The closed bar's volume (units) at a bar-close evaluation. */
  volume: bigint;
}

export interface CompileHooks {
  moveGroup(windowMs: number, direction: 'up' | 'down'): MoveGroup;
  series(): BarSeries;
}

const BAND_INDEX = { middle: 0, upper: 1, lower: 2 } as const;

export function compileCondition(c: MarketCondition, hooks: CompileHooks): CompiledNode {
  switch (c.kind) {
    case 'all':
    case 'any':
      return { k: c.kind, children: c.conditions.map((x) => compileCondition(x, hooks)) };
    case 'price':
      return { k: 'price', op: c.op, v: toUnits(c.value) };
    case 'range':
      return { k: 'range', op: c.op, lo: toUnits(c.low), hi: toUnits(c.high) };
    case 'percentMove':
      return { k: 'move', group: hooks.moveGroup(c.windowMs, c.direction), percent: toUnits(c.percent) };
    case 'volumeSpike':
      return { k: 'volume', bars: c.bars, factor: toUnits(c.factor) };
    case 'rsi':
      return {
        k: 'rsi',
        ind: hooks.series().indicator('rsi', { period: c.period }),
        op: c.op,
        v: c.value,
        label: `rsi(${c.period})`,
      };
    case 'macdCross':
      return {
        k: 'macd',
        ind: hooks.series().indicator('macd', { fast: c.fast, slow: c.slow, signal: c.signal }),
        op: c.op,
        label: `macd(${c.fast},${c.slow},${c.signal})`,
      };
    case 'bbandsCross':
      return {
        k: 'bbands',
        ind: hooks.series().indicator('bbands', { period: c.period, nbDevUp: c.stdDev, nbDevDn: c.stdDev }),
        band: BAND_INDEX[c.band],
        op: c.op,
        label: `bbands(${c.period},${c.stdDev}).${c.band}`,
      };
    case 'emaCross':
      return {
        k: 'ema',
        fast: hooks.series().indicator('ema', { period: c.fast }),
        slow: hooks.series().indicator('ema', { period: c.slow }),
        op: c.op,
        label: `ema(${c.fast})/ema(${c.slow})`,
      };
  }
}

/** Price levels a trade must visit to notice this condition change truth (its sorted thresholds). */
export function priceLevels(node: CompiledNode, out: bigint[] = []): bigint[] {
  if (node.k === 'all' || node.k === 'any') for (const child of node.children) priceLevels(child, out);
  else if (node.k === 'price') out.push(node.v);
  else if (node.k === 'range') out.push(node.lo, node.hi);
  return out;
}

export function moveLeaves(node: CompiledNode, out: { group: MoveGroup; percent: bigint }[] = []) {
  if (node.k === 'all' || node.k === 'any') for (const child of node.children) moveLeaves(child, out);
  else if (node.k === 'move') out.push(node);
  return out;
}

/**
 * Crossing of a value over a level, previous and current on either side: up is prev < level <= cur,
 * down is prev > level >= cur. Touching the level counts as reaching it; leaving it from exactly the
 * level is not a second crossing.
 */
function crossed<T extends number | bigint>(op: CrossOp, prev: T, cur: T, level: T): boolean {
  const up = prev < level && level <= cur;
  if (op === 'crossesUp') return up;
  const down = prev > level && level >= cur;
  return op === 'crossesDown' ? down : up || down;
}

/** Sign-change crossing of a difference (MACD - signal, fast - slow, close - band); NaN never crosses. */
function crossedZero(op: CrossOp, prev: number, cur: number): boolean {
  if (Number.isNaN(prev) || Number.isNaN(cur)) return false;
  return crossed(op, prev, cur, 0);
}

export function evaluateNode(node: CompiledNode, ctx: EvalContext): boolean {
  switch (node.k) {
    case 'all':
      for (const child of node.children) if (!evaluateNode(child, ctx)) return false;
      return true;
    case 'any':
      for (const child of node.children) if (evaluateNode(child, ctx)) return true;
      return false;
    case 'price':
      if (node.op === 'above') return ctx.p1 > node.v;
      if (node.op === 'below') return ctx.p1 < node.v;
      return ctx.p0 !== null && crossed(node.op, ctx.p0, ctx.p1, node.v);
    case 'range': {
      if (ctx.p0 === null) return false;
      const was = node.lo <= ctx.p0 && ctx.p0 <= node.hi;
      const is = node.lo <= ctx.p1 && ctx.p1 <= node.hi;
      return node.op === 'entersRange' ? !was && is : was && !is;
    }
    case 'move':
      return node.group.holds(node.percent);
    case 'volume': {
      const sum = ctx.series?.volumeSum(node.bars) ?? null;
      // volume > factor x (sum / bars), multiplied out: exact.
      return sum !== null && ctx.volume * BigInt(node.bars) * ONE_UNIT > node.factor * sum;
    }
    case 'rsi': {
      const cur = node.ind.cur[0] as number;
      if (Number.isNaN(cur)) return false;
      if (node.op === 'above') return cur > node.v;
      if (node.op === 'below') return cur < node.v;
      const prev = node.ind.prev[0] as number;
      return !Number.isNaN(prev) && crossed(node.op, prev, cur, node.v);
    }
    case 'macd':
      return crossedZero(
        node.op,
        (node.ind.prev[0] as number) - (node.ind.prev[1] as number),
        (node.ind.cur[0] as number) - (node.ind.cur[1] as number),
      );
    case 'bbands': {
      // The close is a decimal; the band is an f64 indicator output, so the comparison is in f64.
      // The indicator saw Number(close string); compare that same double with the band.
      const series = ctx.series;
      if (series === null) return false;
      const prev = series.prevCloseF64 - (node.ind.prev[node.band] as number);
      const cur = series.closeF64 - (node.ind.cur[node.band] as number);
      return crossedZero(node.op, prev, cur);
    }
    case 'ema':
      return crossedZero(
        node.op,
        (node.fast.prev[0] as number) - (node.slow.prev[0] as number),
        (node.fast.cur[0] as number) - (node.slow.cur[0] as number),
      );
  }
}

/** The shared indicator instances a condition reads (each once). */
export function indicatorsOf(node: CompiledNode, out: SharedIndicator[] = []): SharedIndicator[] {
  const add = (ind: SharedIndicator) => {
    if (!out.includes(ind)) out.push(ind);
  };
  if (node.k === 'all' || node.k === 'any') for (const child of node.children) indicatorsOf(child, out);
  else if (node.k === 'rsi' || node.k === 'macd' || node.k === 'bbands') add(node.ind);
  else if (node.k === 'ema') {
    add(node.fast);
    add(node.slow);
  }
  return out;
}

/**
 * Closed bars each instance a condition reads must have been pushed before that condition can hold:
 * a level test on the current value (RSI above/below) needs `cur` only (lookback + 1), a crossing needs
 * `prev` too (lookback + 2). The most per instance, each instance once.
 */
export function barsNeededOf(
  node: CompiledNode,
  out: { ind: SharedIndicator; bars: number }[] = [],
): { ind: SharedIndicator; bars: number }[] {
  const need = (ind: SharedIndicator, bars: number) => {
    const seen = out.find((n) => n.ind === ind);
    if (seen) seen.bars = Math.max(seen.bars, bars);
    else out.push({ ind, bars });
  };
  if (node.k === 'all' || node.k === 'any') for (const child of node.children) barsNeededOf(child, out);
  else if (node.k === 'rsi')
    need(node.ind, node.op === 'above' || node.op === 'below' ? node.ind.neededForCur : node.ind.needed);
  else if (node.k === 'macd' || node.k === 'bbands') need(node.ind, node.ind.needed);
  else if (node.k === 'ema') {
    need(node.fast, node.fast.needed);
    need(node.slow, node.slow.needed);
  }
  return out;
}

/** The most past volumes a condition reads (volume spikes), 0 when none. */
export function volumeBarsOf(node: CompiledNode): number {
  if (node.k === 'all' || node.k === 'any') return Math.max(0, ...node.children.map(volumeBarsOf));
  return node.k === 'volume' ? node.bars : 0;
}

/** Indicator values a firing reports ("rsi(14)": "71.2345"). */
export function indicatorValues(node: CompiledNode, out: Record<string, string>): Record<string, string> {
  const fmt = (x: number) => (Number.isNaN(x) ? 'n/a' : String(Math.round(x * 1e4) / 1e4));
  switch (node.k) {
    case 'all':
    case 'any':
      for (const child of node.children) indicatorValues(child, out);
      break;
    case 'rsi':
      out[node.label] = fmt(node.ind.cur[0] as number);
      break;
    case 'macd':
      out[node.label] = `${fmt(node.ind.cur[0] as number)}/${fmt(node.ind.cur[1] as number)}`;
      break;
    case 'bbands':
      out[node.label] = fmt(node.ind.cur[node.band] as number);
      break;
    case 'ema':
      out[node.label] = `${fmt(node.fast.cur[0] as number)}/${fmt(node.slow.cur[0] as number)}`;
      break;
    default:
      break;
  }
  return out;
}
