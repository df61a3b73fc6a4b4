import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ExchangeSim, startExchangeSim } from '../src/index.ts';

const MIN = 60_000;
/** The simulator starts 30 s into this minute: the minutes before it are generated history. */
const START = Date.UTC(2026, 5, 1, 12, 0, 30);
const ANCHOR_OPEN = Date.UTC(2026, 5, 1, 12, 0);

interface HistoricalTrade {
  id: number;
  price: string;
  qty: string;
  time: number;
  isBuyerMaker: boolean;
}
interface AggTrade {
  a: number;
  f: number;
  l: number;
  T: number;
}

/**
 * Binance trade history over the simulator's real HTTP server: generated minutes and the live stream's
 * trades are one tape with one id space, so `aggTrades` (`f`) locates what `historicalTrades` pages.
 */
describe('binance trade tape', () => {
  let sim: ExchangeSim;
  let now = START;
  const get = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${sim.urls[0]?.binance.rest ?? ''}${path}`);
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };
  /** `historicalTrades` from `fromId` on, every page, until a short page. */
  async function pageFrom(fromId: number): Promise<HistoricalTrade[]> {
    const out: HistoricalTrade[] = [];
    for (let id = fromId; ; ) {
      const page = await get<HistoricalTrade[]>(
        `/api/v3/historicalTrades?symbol=BTCUSDT&fromId=${id}&limit=1000`,
      );
      out.push(...page);
      if (page.length < 1000) return out;
      id = (page.at(-1) as HistoricalTrade).id + 1;
    }
  }

  beforeAll(async () => {
    sim = await startExchangeSim({ symbols: ['BTC-USDT'], manual: true, seed: 3, clock: { now: () => now } });
    for (let i = 0; i < 240; i++) {
      now += 250;
      sim.step(250);
    }
  });
  afterAll(() => sim.stop());

  it('pages from a generated minute straight into the live trades, ids growing, minutes matching their candles', async () => {
    const from = ANCHOR_OPEN - 2 * MIN;
    const [located] = await get<AggTrade[]>(
      `/api/v3/aggTrades?symbol=BTCUSDT&startTime=${from}&endTime=${from + MIN - 1}&limit=1`,
    );
    expect(located).toBeDefined();
    const first = located as AggTrade;
    // Aggregate ids are a space of their own; `f` is the trade id.
    expect(first.a).not.toBe(first.f);
    const tape = await pageFrom(first.f);
    expect(tape[0]?.id).toBe(first.f);
    expect(tape[0]?.time).toBeGreaterThanOrEqual(from);
    for (let i = 1; i < tape.length; i++) {
      const [a, b] = [tape[i - 1], tape[i]] as [HistoricalTrade, HistoricalTrade];
      expect(b.id).toBeGreaterThan(a.id);
      expect(b.time).toBeGreaterThanOrEqual(a.time);
    }
    const klines = await get<unknown[][]>(
      `/api/v3/klines?symbol=BTCUSDT&interval=1m&startTime=${from}&endTime=${ANCHOR_OPEN - 1}`,
    );
    expect(klines).toHaveLength(2);
    for (const k of klines) {
      const open = k[0] as number;
      const inMinute = tape.filter((t) => t.time >= open && t.time < open + MIN);
      expect(inMinute).toHaveLength(k[8] as number);
    }
    // The tail is the live stream's own trades, the same ids its `@trade` frames carried.
    const live = sim.historyTrades('binance', 'BTC-USDT', 0, Number.MAX_SAFE_INTEGER);
    expect(live.length).toBeGreaterThan(50);
    const tail = tape.filter((t) => t.time >= ANCHOR_OPEN);
    expect(tail.map((t) => [String(t.id), t.time])).toEqual(live.map((t) => [t.tradeId, t.exchangeTime]));
    expect(tape.filter((t) => t.time < ANCHOR_OPEN).every((t) => t.id < Number(live[0]?.tradeId))).toBe(true);
  });

  it('aggTrades by time inside the live minutes locates the first live trade at or after the start', async () => {
    const live = sim.historyTrades('binance', 'BTC-USDT', 0, Number.MAX_SAFE_INTEGER);
    const at = START + 20_000;
    const expected = live.find((t) => t.exchangeTime >= at);
    expect(expected).toBeDefined();
    const [agg] = await get<AggTrade[]>(
      `/api/v3/aggTrades?symbol=BTCUSDT&startTime=${at}&endTime=${at + 30 * MIN}&limit=1`,
    );
    expect(String(agg?.f)).toBe(expected?.tradeId);
    expect(agg?.T).toBe(expected?.exchangeTime);
    // Paging aggregates by their own id finds the same one again, and the next starts after its `l`.
    const again = await get<AggTrade[]>(`/api/v3/aggTrades?symbol=BTCUSDT&fromId=${agg?.a}&limit=2`);
    expect(again[0]).toEqual(agg);
    expect(again[1]?.f).toBe((agg?.l ?? 0) + 1);
  });
});
