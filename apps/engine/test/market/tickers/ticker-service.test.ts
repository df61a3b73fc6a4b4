import { type Kline, ManualClock, type MessageBus, type Ticker } from '@qt/shared';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TickerService } from '../../../src/market/tickers/ticker-service.ts';
import { MINUTE_MS } from '../../../src/market/tickers/ticker-window.ts';

const T0 = Date.UTC(2026, 11, 7, 12, 0, 0);

function k(minute: number, close: string, trades: number, symbol = 'BTC-USDT'): Kline {
  const openTime = T0 + minute * MINUTE_MS;
  return {
    venue: 'binance',
    symbol,
    interval: '1m',
    openTime,
    closeTime: openTime + MINUTE_MS - 1,
    open: '100',
    high: close,
    low: '100',
    close,
    baseVolume: '1',
    quoteVolume: close,
    takerBuyBaseVolume: '0',
    tradeCount: trades,
    closed: false,
  };
}

/** A bus that only records the handler (the service reads candles from it; nothing else is exercised). */
function fakeBus() {
  let handler: ((m: { data: Kline }) => void) | undefined;
  const bus = {
    subscribe: async (_topic: unknown, _pattern: string, h: (m: { data: Kline }) => void) => {
      handler = h;
      return { unsubscribe: async () => {} };
    },
  } as unknown as MessageBus;
  return { bus, publish: (kline: Kline) => handler?.({ data: kline }) };
}

describe('TickerService', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('seeds from storage and live candles, then pushes changes at most once a second, conflated', async () => {
    const clock = new ManualClock(T0 + 10 * MINUTE_MS + 1_000);
    const storedCalls: Array<[number, number]> = [];
    const service = new TickerService({
      clock,
      logger: pino({ level: 'silent' }),
      sources: {
        storedCandles: async (_v, _s, from, to) => {
          storedCalls.push([from, to]);
          return [{ ...k(2, '101', 4), closed: true }];
        },
        liveCandles: () => [k(10, '103', 2)],
      },
    });
    const { bus, publish } = fakeBus();
    await service.start(bus);
    await service.track('binance', 'BTC-USDT', true);
    expect(storedCalls).toEqual([[T0 + 10 * MINUTE_MS - 1_439 * MINUTE_MS, clock.now() + MINUTE_MS]]);
    expect(service.list()).toMatchObject([
      { open: '100', last: '103', high: '103', tradeCount: 6, configured: true },
    ]);

    const abort = new AbortController();
    const stream = service.stream(abort.signal);
    const first = await stream.next();
    expect((first.value as Ticker[]).map((t) => t.last)).toEqual(['103']);

    // Three versions of the open minute and a market nobody follows within one second: one push, the newest.
    publish(k(10, '104', 3));
    publish(k(10, '105', 4));
    publish(k(10, '106', 5));
    publish(k(10, '999', 9, 'ETH-USDT'));
    const next = stream.next();
    await vi.advanceTimersByTimeAsync(1_000);
    const batch = (await next).value as Ticker[];
    expect(batch.map((t) => [t.symbol, t.last, t.tradeCount])).toEqual([['BTC-USDT', '106', 9]]);

    // Nothing changed: no push in the next second.
    let pushed = false;
    const after = stream.next().then(() => {
      pushed = true;
    });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(pushed).toBe(false);
    abort.abort();
    await after;
    await service.stop();
  });
});
