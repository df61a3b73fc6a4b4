import { readdir } from 'node:fs/promises';
import { ENV_IMPORTS, HOST_IMPORTS, OPTIONAL_EXPORTS, REQUIRED_EXPORTS } from '@qt/strategy-runtime';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildExample, exampleNames, examples, examplesDir } from '../src/index.ts';
import { readModuleShape } from '../src/wasm-shape.ts';
import { syntheticCandles, type TestCandle } from './lib/candles.ts';
import { bollingerSeries, rsiSeries, smaSeries } from './lib/reference.ts';
import { TestHost, type TestInstrument } from './lib/test-host.ts';

const BTC: TestInstrument = { name: 'binance:BTCUSDT', tickSize: 0.01, lotSize: 0.00001 };
const ETH: TestInstrument = { name: 'binance:ETHUSDT', tickSize: 0.01, lotSize: 0.0001 };

interface ExpectedOrder {
  candle: number;
  instrument: number;
  side: number;
  quantity: number;
}

/** Long-only entry/exit decisions from reference signals, with the position the orders imply. */
function expectedOrders(
  instrument: number,
  count: number,
  quantity: number,
  decide: (i: number, held: number) => 'buy' | 'sell' | null,
): ExpectedOrder[] {
  const out: ExpectedOrder[] = [];
  let held = 0;
  for (let i = 0; i < count; i++) {
    const action = decide(i, held);
    if (action === 'buy') {
      out.push({ candle: i, instrument, side: 0, quantity });
      held += quantity;
    } else if (action === 'sell') {
      out.push({ candle: i, instrument, side: 1, quantity: held });
      held = 0;
    }
  }
  return out;
}

const binaries = new Map<string, Uint8Array>();

function binary(name: string): Uint8Array {
  const bytes = binaries.get(name);
  if (!bytes) throw new Error(`${name} was not built`);
  return bytes;
}

async function run(
  name: string,
  params: Record<string, number>,
  series: readonly TestCandle[][],
  instruments: readonly TestInstrument[],
): Promise<TestHost> {
  const host = await new TestHost().instantiate(binary(name));
  expect(host.init(params, instruments)).toBe(0);
  const length = series[0]?.length ?? 0;
  for (let i = 0; i < length; i++) {
    series.forEach((candles, instrument) => {
      const c = candles[i];
      if (c) host.candle(instrument, i, c);
    });
  }
  return host;
}

function placed(host: TestHost): ExpectedOrder[] {
  return host.orders.map((o) => ({
    candle: o.candle,
    instrument: o.instrument,
    side: o.side,
    quantity: o.quantity,
  }));
}

describe('example strategies', () => {
  // Compiling is slow (binaryen -O3, seconds per module on a busy machine); build each example once.
  beforeAll(async () => {
    for (const name of exampleNames) binaries.set(name, await buildExample(name));
  }, 180_000);

  it('has metadata for exactly the files in examples/', async () => {
    const files = (await readdir(examplesDir)).filter((f) => f.endsWith('.ts')).map((f) => f.slice(0, -3));
    expect([...files].sort()).toEqual([...exampleNames].sort());
    for (const example of examples) {
      for (const p of example.params) {
        expect(p.min).toBeLessThanOrEqual(p.default);
        expect(p.default).toBeLessThanOrEqual(p.max);
      }
    }
  });

  describe.each(exampleNames)('%s', (name) => {
    it('imports only the allowed functions, with the ABI signatures', async () => {
      const shape = readModuleShape(binary(name));
      const allowed = new Map<string, string>([
        ...Object.entries(HOST_IMPORTS).map(([k, v]): [string, string] => [`qt.${k}`, v]),
        ...Object.entries(ENV_IMPORTS).map(([k, v]): [string, string] => [`env.${k}`, v]),
      ]);
      expect(shape.otherImports).toEqual([]);
      expect(shape.importedFunctions.size).toBeGreaterThan(0);
      for (const [key, sig] of shape.importedFunctions) expect([key, sig]).toEqual([key, allowed.get(key)]);
      expect(shape.importedFunctions.has('env.seed')).toBe(false);
    });

    it('exports the required functions and memory, and nothing outside the ABI', async () => {
      const shape = readModuleShape(binary(name));
      const { memory: _memory, ...requiredFunctions } = REQUIRED_EXPORTS;
      const known = new Map<string, string>(Object.entries({ ...requiredFunctions, ...OPTIONAL_EXPORTS }));
      for (const [fn, sig] of Object.entries(requiredFunctions))
        expect(shape.exportedFunctions.get(fn)).toBe(sig);
      for (const [fn, sig] of shape.exportedFunctions) expect([fn, sig]).toEqual([fn, known.get(fn)]);
      expect([...shape.otherExports]).toEqual([['memory', 'memory']]);
    });

    it('declares a maximum memory of 256 pages (16 MiB)', async () => {
      const shape = readModuleShape(binary(name));
      expect(shape.memory?.maximum).toBe(256);
      expect(shape.memory?.initial).toBeLessThanOrEqual(256);
    });

    it('refuses to start on invalid parameters', async () => {
      const host = await new TestHost().instantiate(binary(name));
      expect(host.init({ quantity: -1 }, [BTC])).not.toBe(0);
      expect(host.logs.some((l) => l.level === 3)).toBe(true);
    });
  });

  it('sma-crossover buys at each golden cross and sells the position at each death cross', async () => {
    const params = { fast: 5, slow: 20, quantity: 0.5 };
    const series = [syntheticCandles(3000, 42), syntheticCandles(3000, 7, 2000)];
    const host = await run('sma-crossover', params, series, [BTC, ETH]);
    const expected = series.flatMap((candles, instrument) => {
      const closes = candles.map((c) => c.close);
      const fast = smaSeries(closes, params.fast);
      const slow = smaSeries(closes, params.slow);
      const spread = (i: number) => (fast[i] ?? Number.NaN) - (slow[i] ?? Number.NaN);
      return expectedOrders(instrument, candles.length, params.quantity, (i, held) => {
        if (i === 0) return null;
        const before = spread(i - 1);
        const now = spread(i);
        if (before <= 0 && now > 0 && held <= 0) return 'buy';
        if (before >= 0 && now < 0 && held > 0) return 'sell';
        return null;
      });
    });
    const byTime = (a: ExpectedOrder, b: ExpectedOrder) => a.candle - b.candle || a.instrument - b.instrument;
    expect(expected.length).toBeGreaterThan(40);
    expect(placed(host)).toEqual(expected.sort(byTime));
    expect(host.orders.every((o) => o.type === 0)).toBe(true);
  });

  it('rsi-mean-reversion buys below oversold and sells above overbought', async () => {
    const params = { period: 14, oversold: 35, overbought: 65, quantity: 2 };
    const candles = syntheticCandles(3000, 1234);
    const host = await run('rsi-mean-reversion', params, [candles], [BTC]);
    expect(host.indicatorsCreated).toEqual([{ kind: 3, p1: 14, p2: Number.NaN, p3: Number.NaN }]);
    const rsi = rsiSeries(
      candles.map((c) => c.close),
      params.period,
    );
    const expected = expectedOrders(0, candles.length, params.quantity, (i, held) => {
      const value = rsi[i] ?? Number.NaN;
      if (value < params.oversold && held <= 0) return 'buy';
      if (value > params.overbought && held > 0) return 'sell';
      return null;
    });
    expect(expected.length).toBeGreaterThan(10);
    expect(placed(host)).toEqual(expected);
  });

  it('bollinger-breakout buys on a close above the upper band and exits below the middle', async () => {
    const params = { period: 20, mult: 1.5, quantity: 0.25 };
    const candles = syntheticCandles(3000, 99);
    const host = await run('bollinger-breakout', params, [candles], [BTC]);
    expect(host.indicatorsCreated).toEqual([{ kind: 5, p1: 20, p2: 1.5, p3: Number.NaN }]);
    const bands = bollingerSeries(
      candles.map((c) => c.close),
      params.period,
      params.mult,
    );
    const expected = expectedOrders(0, candles.length, params.quantity, (i, held) => {
      const b = bands[i];
      const close = candles[i]?.close ?? Number.NaN;
      if (!b) return null;
      if (close > b.upper && held <= 0) return 'buy';
      if (close < b.middle && held > 0) return 'sell';
      return null;
    });
    expect(expected.length).toBeGreaterThan(10);
    expect(placed(host)).toEqual(expected);
  });
});
