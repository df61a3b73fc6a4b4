import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExchangeSim } from '@qt/exchange-sim';
import { type CandleHistorySource, createBinanceAdapter, createOkxAdapter } from '@qt/market-data';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config/load-config.ts';
import {
  BINANCE_ARCHIVE_DEFAULT_URL,
  binanceArchiveUrlOf,
  withBinanceArchive,
} from '../../src/market/backfill/binance-archive-source.ts';

const noFile = join(tmpdir(), 'does-not-exist-quant-trader.yaml');
const config = (env: Record<string, string>) => loadConfig({ env: { QT_CONFIG: noFile, ...env } });
const sim = { urls: [{ binance: { rest: 'http://127.0.0.1:9/binance' } }] } as unknown as ExchangeSim;

describe('BINANCE_ARCHIVE_URL', () => {
  it('defaults to data.binance.vision, or the simulator copy; a set URL wins; off turns it off', () => {
    expect(binanceArchiveUrlOf(config({}), null)).toBe(BINANCE_ARCHIVE_DEFAULT_URL);
    expect(binanceArchiveUrlOf(config({}), sim)).toBe('http://127.0.0.1:9/binance');
    expect(binanceArchiveUrlOf(config({ BINANCE_ARCHIVE_URL: 'https://mirror.example/bv' }), sim)).toBe(
      'https://mirror.example/bv',
    );
    expect(binanceArchiveUrlOf(config({ BINANCE_ARCHIVE_URL: 'off' }), null)).toBeNull();
    expect(binanceArchiveUrlOf(config({ BINANCE_ARCHIVE_URL: '' }), null)).toBe(BINANCE_ARCHIVE_DEFAULT_URL);
    expect(() => config({ BINANCE_ARCHIVE_URL: 'not a url' })).toThrow(ConfigError);
  });

  it('is off when BINANCE_REST_URL points elsewhere (a standalone simulator), unless set', () => {
    const standalone = { MARKET_SOURCE: 'live', BINANCE_REST_URL: 'http://127.0.0.1:9100/binance' };
    expect(binanceArchiveUrlOf(config(standalone), null)).toBeNull();
    expect(
      binanceArchiveUrlOf(
        config({ ...standalone, BINANCE_ARCHIVE_URL: 'http://127.0.0.1:9100/binance' }),
        null,
      ),
    ).toBe('http://127.0.0.1:9100/binance');
    // The in-process simulator serves its own copy whatever the REST override says.
    expect(binanceArchiveUrlOf(config(standalone), sim)).toBe('http://127.0.0.1:9/binance');
  });

  it('plans files by the clock it is given, not the wall clock', async () => {
    const asked: string[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = (async (input: string | URL | Request) => {
      asked.push(new URL(String(input)).pathname);
      return new Response('', { status: 404 });
    }) as typeof fetch;
    try {
      const rest = {
        venue: 'binance',
        pageSize: 1000,
        fetchPage: async (_s: string, _fromMs: number, toMs: number) => ({
          candles: [],
          nextFrom: toMs,
          requests: 1,
          throttled: 0,
        }),
      } as unknown as CandleHistorySource;
      const logger = pino({ level: 'silent' });
      // A clock in June 2024: May is a whole past month, July is not (whatever today's date is).
      const clock = () => Date.UTC(2024, 5, 10);
      const src = withBinanceArchive(createBinanceAdapter(), rest, 'http://archive.test', logger, clock);
      await src.fetchPage('BTC-USDT', Date.UTC(2024, 4, 1), Date.UTC(2024, 5, 1));
      expect(asked[0]).toBe('/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-05.zip.CHECKSUM');
      asked.length = 0;
      await src.fetchPage('BTC-USDT', Date.UTC(2024, 6, 1), Date.UTC(2024, 6, 20));
      expect(asked).toEqual([]);
    } finally {
      globalThis.fetch = realFetch;
    }
  });

  it('wraps only Binance, and only with an archive URL', () => {
    const rest = {
      venue: 'binance',
      pageSize: 1000,
      fetchPage: async () => ({}),
    } as unknown as CandleHistorySource;
    const logger = pino({ level: 'silent' });
    expect(withBinanceArchive(createBinanceAdapter(), rest, null, logger)).toBe(rest);
    expect(withBinanceArchive(createOkxAdapter(), rest, BINANCE_ARCHIVE_DEFAULT_URL, logger)).toBe(rest);
    const wrapped = withBinanceArchive(createBinanceAdapter(), rest, BINANCE_ARCHIVE_DEFAULT_URL, logger);
    expect(wrapped).not.toBe(rest);
    expect(wrapped.venue).toBe('binance');
    expect(wrapped.pageSize).toBe(1000);
  });
});
