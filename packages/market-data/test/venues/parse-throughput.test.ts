import { describe, expect, it } from 'vitest';
import { createBinanceAdapter } from '../../src/venues/binance/binance-adapter.ts';
import { createBybitAdapter } from '../../src/venues/bybit/bybit-adapter.ts';
import { createOkxAdapter } from '../../src/venues/okx/okx-adapter.ts';
import type { VenueAdapter } from '../../src/venues/venue-adapter.ts';

/**
 * Parse + normalise throughput beside bare `JSON.parse` of the same frames, in the same run
 * (BENCHMARKS.md). Printed, not asserted: a test never fails because the machine was slow. The
 * benchmark proper (10 s, histogram) belongs in bench/.
 */
const frameCount = 4096;
const runMs = Number(process.env.PARSE_BENCH_MS ?? 300);

/** Frames as `ws` hands them over: flat strings decoded from a Buffer, not concatenation ropes. */
const flat = (s: string) => Buffer.from(s).toString('utf8');

function binanceFrames(): string[] {
  return Array.from({ length: frameCount }, (_, i) => {
    const id = 4_100_000_000 + i;
    const px = (64_000 + (i % 977) / 100).toFixed(2);
    return flat(
      `{"stream":"btcusdt@trade","data":{"e":"trade","E":1767225600${String(i % 1000).padStart(3, '0')},"s":"BTCUSDT","t":${id},"p":"${px}000000","q":"0.00${100 + (i % 900)}000","T":1767225600${String(i % 1000).padStart(3, '0')},"m":${i % 2 === 0},"M":true}}`,
    );
  });
}

function okxFrames(): string[] {
  return Array.from({ length: frameCount }, (_, i) =>
    flat(
      `{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT","tradeId":"${730_000_000 + i}","px":"${(64_000 + (i % 977) / 10).toFixed(1)}","sz":"0.0${1000 + (i % 900)}","side":"${i % 2 ? 'buy' : 'sell'}","ts":"1767225600${String(i % 1000).padStart(3, '0')}","count":"1","source":"0","seqId":${9_000_000 + i}}]}`,
    ),
  );
}

function bybitFrames(): string[] {
  return Array.from({ length: frameCount }, (_, i) =>
    flat(
      `{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1767225600${String(i % 1000).padStart(3, '0')},"data":[{"T":1767225600${String(i % 1000).padStart(3, '0')},"s":"BTCUSDT","S":"${i % 2 ? 'Buy' : 'Sell'}","v":"0.00${100 + (i % 900)}","p":"${(64_000 + (i % 977) / 100).toFixed(2)}","L":"PlusTick","i":"2290000000${String(100_000_000 + i)}","BT":false,"RPI":false,"seq":${80_000_000 + i}}]}`,
    ),
  );
}

/**
 * Frames per second of each function over the same frames. The machine is shared and noisy, so the two
 * run in alternating short rounds and each keeps its best round.
 */
function measurePair(
  frames: string[],
  a: (frame: string) => number,
  b: (frame: string) => number,
): { a: number; b: number; sink: number } {
  let sink = 0;
  const best = [0, 0];
  const rounds = 10;
  const roundMs = runMs / rounds;
  for (let w = 0; w < 3; w++) for (const f of frames) sink += a(f) + b(f);
  for (let r = 0; r < rounds; r++) {
    for (const [k, fn] of [a, b].entries()) {
      let n = 0;
      const start = performance.now();
      let elapsed = 0;
      while (elapsed < roundMs) {
        for (const f of frames) sink += fn(f);
        n += frames.length;
        elapsed = performance.now() - start;
      }
      best[k] = Math.max(best[k] ?? 0, (n / elapsed) * 1000);
    }
  }
  return { a: best[0] ?? 0, b: best[1] ?? 0, sink };
}

function bench(name: string, adapter: VenueAdapter, frames: string[]) {
  const r = measurePair(
    frames,
    (f) => (JSON.parse(f) ? 1 : 0),
    (f) => {
      const m = adapter.parse(f, 1767225600500);
      return m.kind === 'trades' ? m.trades.length : 0;
    },
  );
  const result = {
    bench: `parse.${name}`,
    throughput: Math.round(r.b),
    unit: 'trades/s',
    baseline: Math.round(r.a),
    ratio: Number((r.b / r.a).toFixed(2)),
    frameBytes: Math.round(frames.reduce((n, f) => n + f.length, 0) / frames.length),
  };
  console.log(JSON.stringify(result));
  return { result, tradesSeen: r.sink };
}

describe('parse throughput (printed beside JSON.parse)', { timeout: 60_000 }, () => {
  it('Binance trade frames', () => {
    const { tradesSeen } = bench('binance', createBinanceAdapter(), binanceFrames());
    expect(tradesSeen).toBeGreaterThan(0);
  });

  it('OKX trade frames', () => {
    const { tradesSeen } = bench('okx', createOkxAdapter(), okxFrames());
    expect(tradesSeen).toBeGreaterThan(0);
  });

  it('Bybit trade frames', () => {
    const { tradesSeen } = bench('bybit', createBybitAdapter(), bybitFrames());
    expect(tradesSeen).toBeGreaterThan(0);
  });
});
