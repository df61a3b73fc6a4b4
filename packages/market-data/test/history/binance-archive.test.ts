import type { Kline } from '@qt/shared';
import { zipSync } from 'fflate';
import { describe, expect, it, vi } from 'vitest';
import { binanceArchiveCandleHistory } from '../../src/history/binance-archive-candles.ts';
import { CsvRowStream, parseAggTradeRow, parseKlineRow } from '../../src/history/binance-archive-csv.ts';
import {
  ArchiveFileError,
  downloadVerifiedZip,
  parseChecksumFile,
  sha256Hex,
} from '../../src/history/binance-archive-download.ts';
import { klineArchivePath, planArchive } from '../../src/history/binance-archive-plan.ts';
import { ArchiveKlineReader } from '../../src/history/binance-archive-reader.ts';
import type { CandleHistorySource } from '../../src/history/candle-history.ts';

const MIN = 60_000;
const DAY = 86_400_000;
const enc = new TextEncoder();

// Whole months are zipped and read here: seconds on a busy 2-core machine, nothing timing-sensitive.
vi.setConfig({ testTimeout: 60_000 });

/** A klines CSV row as Binance's archive writes it, `micros` for files dated from 2025. */
function row(openMs: number, i: number, micros: boolean): string {
  const t = (ms: number) => (micros ? `${ms}000` : String(ms));
  const close = micros ? `${openMs + MIN - 1}999` : String(openMs + MIN - 1);
  return [
    t(openMs),
    `${100 + i}.10000000`,
    `${101 + i}.00000000`,
    `${99 + i}.50000000`,
    `${100 + i}.20000000`,
    '1.23400000',
    close,
    '123.456789000000',
    String(10 + i),
    '0.61700000',
    '61.72000000',
    '0',
  ].join(',');
}

function csvOf(fromMs: number, toMs: number, micros: boolean, eol = '\n'): string {
  const lines: string[] = [];
  for (let t = fromMs, i = 0; t < toMs; t += MIN, i++) lines.push(row(t, i, micros));
  return lines.join(eol) + eol;
}

function zipOf(name: string, csv: string): Uint8Array {
  return zipSync({ [name]: enc.encode(csv) }, { mtime: new Date(Date.UTC(2024, 0, 1)) });
}

describe('archive CSV rows', () => {
  it('reads millisecond (before 2025) and microsecond (2025 on) klines rows to the same candle', () => {
    const ms = parseKlineRow(row(Date.UTC(2024, 11, 31, 23, 59), 0, false).split(','));
    const us = parseKlineRow(row(Date.UTC(2024, 11, 31, 23, 59), 0, true).split(','));
    expect(ms).toEqual(us);
    expect(ms).toEqual({
      openTime: Date.UTC(2024, 11, 31, 23, 59),
      open: '100.10000000',
      high: '101.00000000',
      low: '99.50000000',
      close: '100.20000000',
      baseVolume: '1.23400000',
      quoteVolume: '123.456789000000',
      tradeCount: 10,
      takerBuyBaseVolume: '0.61700000',
    });
    // The real 2025 file's first row (binance-public-data issue 386, 1s DOGEUSDT).
    const real = parseKlineRow(
      '1735689600000000,0.31600000,0.31600000,0.31600000,0.31600000,27.00000000,1735689600999999,8.53200000,1,0.00000000,0.00000000,0'.split(
        ',',
      ),
    );
    expect(real.openTime).toBe(Date.UTC(2025, 0, 1));
    expect(real.tradeCount).toBe(1);
  });

  it('refuses malformed rows: short, a non-decimal price, a sub-millisecond open time', () => {
    expect(() => parseKlineRow(['1', '2'])).toThrow(/2 cells/);
    const bad = row(Date.UTC(2024, 0, 1), 0, false).split(',');
    bad[2] = '1e5';
    expect(() => parseKlineRow(bad)).toThrow(/high is not a decimal/);
    const frac = row(Date.UTC(2025, 0, 1), 0, true).split(',');
    frac[0] = '1735689600000123';
    expect(() => parseKlineRow(frac)).toThrow(/whole millisecond/);
  });

  it('reads aggTrades rows in both units (microseconds floored to the millisecond)', () => {
    expect(
      parseAggTradeRow('26129,0.01633102,4.70443515,27781,27781,1498793709153,True,True'.split(',')),
    ).toEqual({
      aggTradeId: 26129,
      price: '0.01633102',
      quantity: '4.70443515',
      firstTradeId: 27781,
      lastTradeId: 27781,
      timeMs: 1498793709153,
      buyerIsMaker: true,
    });
    const us = parseAggTradeRow('7,93000.01,0.5,10,12,1735689600123456,False,True'.split(','));
    expect(us.timeMs).toBe(1735689600123);
    expect(us.buyerIsMaker).toBe(false);
    expect(() => parseAggTradeRow('7,93000.01,0.5,10,12,1735689600123,maybe,True'.split(','))).toThrow(
      /boolean/,
    );
  });

  it('splits lines across chunk boundaries, CRLF endings and a header line', () => {
    const from = Date.UTC(2024, 5, 1);
    const text = `open_time,open,high,low,close,volume,close_time,quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\r\n${csvOf(from, from + 30 * MIN, false, '\r\n')}`;
    const bytes = enc.encode(text);
    const stream = new CsvRowStream(parseKlineRow);
    const rows = [];
    // 7-byte chunks: every row is cut somewhere.
    for (let i = 0; i < bytes.length; i += 7)
      rows.push(...stream.push(bytes.subarray(i, i + 7), i + 7 >= bytes.length));
    expect(rows.map((r) => r.openTime)).toEqual(Array.from({ length: 30 }, (_, i) => from + i * MIN));
  });
});

describe('archive planning', () => {
  it('monthly files for whole past months, daily for whole past days, REST for the rest', () => {
    const from = Date.UTC(2026, 9, 30, 12, 0); // Oct 30, 12:00
    const to = Date.UTC(2026, 11, 7, 13, 0); // Dec 7, 13:00
    const now = Date.UTC(2026, 11, 7, 13, 5);
    const plan = planArchive('BTCUSDT', from, to, now);
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16);
    expect(plan.map((s) => `${s.kind} ${iso(s.fromMs)} ${iso(s.toMs)}`)).toEqual([
      'rest 2026-10-30T12:00 2026-10-31T00:00',
      'daily 2026-10-31T00:00 2026-11-01T00:00',
      'monthly 2026-11-01T00:00 2026-12-01T00:00',
      ...[1, 2, 3, 4, 5, 6].map((d) => `daily 2026-12-0${d}T00:00 2026-12-0${d + 1}T00:00`),
      'rest 2026-12-07T00:00 2026-12-07T13:00',
    ]);
    expect(plan[2]).toMatchObject({
      path: '/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2026-11.zip',
      fileName: 'BTCUSDT-1m-2026-11.zip',
    });
    expect(klineArchivePath('daily', 'ETHUSDT', Date.UTC(2025, 1, 3)).path).toBe(
      '/data/spot/daily/klines/ETHUSDT/1m/ETHUSDT-1m-2025-02-03.zip',
    );
  });

  it('a month that has not ended, or a month known missing, goes by days', () => {
    const from = Date.UTC(2026, 10, 1);
    // November has ended only 2 days ago and its monthly file is known missing: daily files instead.
    const plan = planArchive('BTCUSDT', from, Date.UTC(2026, 11, 1), Date.UTC(2026, 11, 3), (p) =>
      p.includes('/monthly/'),
    );
    expect(plan).toHaveLength(30);
    expect(plan.every((s) => s.kind === 'daily')).toBe(true);
    // Today is never in a file.
    const today = planArchive(
      'BTCUSDT',
      Date.UTC(2026, 11, 3),
      Date.UTC(2026, 11, 3, 10),
      Date.UTC(2026, 11, 3, 10),
    );
    expect(today.map((s) => s.kind)).toEqual(['rest']);
  });
});

describe('archive download and checksum', () => {
  const path = '/data/spot/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-06-01.zip';
  const name = 'BTCUSDT-1m-2024-06-01.zip';
  const zip = zipOf('BTCUSDT-1m-2024-06-01.csv', csvOf(Date.UTC(2024, 5, 1), Date.UTC(2024, 5, 2), false));

  function server(files: Record<string, Uint8Array | string | number>): typeof fetch {
    return (async (input: string | URL | Request) => {
      const url = new URL(String(input));
      const f = files[url.pathname];
      if (f === undefined) return new Response('<Error>NoSuchKey</Error>', { status: 404 });
      if (typeof f === 'number') return new Response('', { status: f });
      return new Response(f);
    }) as typeof fetch;
  }

  it('parses sha256sum lines and refuses anything else', () => {
    expect(parseChecksumFile(`${'AB'.repeat(32)}  ${name}\n`, path)).toEqual({
      sha256: 'ab'.repeat(32),
      fileName: name,
    });
    expect(() => parseChecksumFile('not a checksum', path)).toThrow(ArchiveFileError);
  });

  it('hands back a zip whose SHA-256 matches, refuses one that does not (typed reason)', async () => {
    const good = server({ [path]: zip, [`${path}.CHECKSUM`]: `${sha256Hex(zip)}  ${name}\n` });
    const ok = await downloadVerifiedZip({ baseUrl: 'http://archive.test', fetch: good }, path, name);
    expect(ok.bytes).toEqual(zip);
    expect(ok.requests).toBe(2);

    const wrong = `${sha256Hex(zip).replace(/^./, (c) => (c === '0' ? '1' : '0'))}  ${name}\n`;
    const bad = server({ [path]: zip, [`${path}.CHECKSUM`]: wrong });
    const err = await downloadVerifiedZip({ baseUrl: 'http://archive.test', fetch: bad }, path, name).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ArchiveFileError);
    expect((err as ArchiveFileError).reason).toBe('checksum-mismatch');
    expect((err as ArchiveFileError).code).toBe('SERVICE_UNAVAILABLE');

    const missing = await downloadVerifiedZip(
      { baseUrl: 'http://archive.test', fetch: server({}) },
      path,
      name,
    ).catch((e: unknown) => e);
    expect((missing as ArchiveFileError).reason).toBe('not-published');

    const flaky = server({ [`${path}.CHECKSUM`]: 503 });
    const down = await downloadVerifiedZip(
      { baseUrl: 'http://archive.test', fetch: flaky, attempts: 2, retryBaseMs: 1 },
      path,
      name,
    ).catch((e: unknown) => e);
    expect((down as ArchiveFileError).reason).toBe('unreachable');

    const big = await downloadVerifiedZip(
      {
        baseUrl: 'http://archive.test',
        fetch: server({ [path]: zip, [`${path}.CHECKSUM`]: `${sha256Hex(zip)}  ${name}\n` }),
        maxBytes: 100,
      },
      path,
      name,
    ).catch((e: unknown) => e);
    expect((big as ArchiveFileError).reason).toBe('too-large');
  });
});

describe('archive reader', () => {
  it('serves a month of microsecond rows a day at a time, forward only', () => {
    const from = Date.UTC(2025, 1, 1);
    const to = Date.UTC(2025, 2, 1);
    const reader = new ArchiveKlineReader('p', 'BTC-USDT', zipOf('x.csv', csvOf(from, to, true)), from);
    let n = 0;
    for (let d = from; d < to; d += DAY) {
      const page = reader.take(d, d + DAY);
      expect(page).toHaveLength(1_440);
      expect(page[0]?.openTime).toBe(d);
      expect(page[1_439]?.closeTime).toBe(d + DAY - 1);
      n += page.length;
    }
    expect(n).toBe(28 * 1_440);
    expect(() => reader.take(from, from + DAY)).toThrow(RangeError);
  });

  it('refuses rows out of order', () => {
    const from = Date.UTC(2024, 0, 1);
    const csv = `${row(from + MIN, 1, false)}\n${row(from, 0, false)}\n`;
    const reader = new ArchiveKlineReader('p', 'BTC-USDT', zipOf('x.csv', csv), from);
    expect(() => reader.take(from, from + DAY)).toThrow(/ascending/);
  });
});

describe('archive candle source', () => {
  const sym = 'BTC-USDT';
  const adapter = { toVenueSymbol: (s: string) => s.replace('-', '') };

  /** A REST source answering synthetic candles and recording the windows asked for. */
  function restSource(calls: Array<[number, number]>): CandleHistorySource {
    return {
      venue: 'binance',
      pageSize: 1000,
      async fetchPage(symbol, fromMs, toMs) {
        const end = Math.min(toMs, fromMs + 1000 * MIN);
        calls.push([fromMs, end]);
        const candles: Kline[] = [];
        for (let t = fromMs; t < end; t += MIN) {
          const r = parseKlineRow(row(t, 0, false).split(','));
          candles.push({
            ...r,
            venue: 'binance',
            symbol,
            interval: '1m',
            closeTime: t + MIN - 1,
            closed: true,
          });
        }
        return { candles, nextFrom: end, requests: 1, throttled: 0 };
      },
    };
  }

  function files(from: number, days: number, corruptDay?: number): Record<string, Uint8Array | string> {
    const out: Record<string, Uint8Array | string> = {};
    for (let d = 0; d < days; d++) {
      const start = from + d * DAY;
      const f = klineArchivePath('daily', 'BTCUSDT', start);
      const z = zipOf(
        f.fileName.replace('.zip', '.csv'),
        csvOf(start, start + DAY, start >= Date.UTC(2025, 0, 1)),
      );
      const sum = sha256Hex(z);
      out[f.path] = z;
      out[`${f.path}.CHECKSUM`] =
        `${d === corruptDay ? sum.replace(/^./, (c) => (c === 'f' ? '0' : 'f')) : sum}  ${f.fileName}\n`;
    }
    return out;
  }

  function fetchOf(served: Record<string, Uint8Array | string>, asked: string[]): typeof fetch {
    return (async (input: string | URL | Request) => {
      const p = new URL(String(input)).pathname;
      asked.push(p);
      const f = served[p];
      return f === undefined ? new Response('', { status: 404 }) : new Response(f);
    }) as typeof fetch;
  }

  async function drain(src: CandleHistorySource, from: number, to: number): Promise<Kline[]> {
    const out: Kline[] = [];
    for (let at = from; at < to; ) {
      const page = await src.fetchPage(sym, at, to);
      expect(page.nextFrom).toBeGreaterThan(at);
      out.push(...page.candles);
      at = page.nextFrom;
    }
    return out;
  }

  it('takes daily files across the 2025 unit change, REST for the partial first day and for a corrupt file', async () => {
    const d0 = Date.UTC(2024, 11, 30);
    const rest: Array<[number, number]> = [];
    const asked: string[] = [];
    const warnings: string[] = [];
    const src = binanceArchiveCandleHistory({
      baseUrl: 'http://archive.test',
      fetch: fetchOf(files(d0, 4, 2), asked),
      rest: restSource(rest),
      adapter,
      now: () => Date.UTC(2025, 0, 10),
      // Every whole day may come from a file here (the threshold has its own test below).
      minRangeMs: 0,
      logger: { warn: (o) => warnings.push(String(o.reason)) },
    });
    const from = d0 - 6 * 60 * MIN; // Dec 29, 18:00
    const to = d0 + 4 * DAY; // Jan 3
    const candles = await drain(src, from, to);
    expect(candles.map((k) => k.openTime)).toEqual(
      Array.from({ length: (to - from) / MIN }, (_, i) => from + i * MIN),
    );
    // REST: the 6 h before Dec 30, then Jan 1 (its CHECKSUM names another SHA-256), nothing else.
    expect(rest).toEqual([
      [from, d0],
      [d0 + 2 * DAY, d0 + 2 * DAY + 1000 * MIN],
      [d0 + 2 * DAY + 1000 * MIN, d0 + 3 * DAY],
    ]);
    expect(warnings).toEqual(['checksum-mismatch']);
    expect(src.stats.files).toBe(3);
    expect(src.stats.fallbacks['checksum-mismatch']).toBe(1);
    // December 2024 is a whole month inside the range? No (it starts on the 29th): no monthly file asked.
    expect(asked.some((p) => p.includes('/monthly/'))).toBe(false);
    // The zip was fetched (its hash is what is compared) once, and not asked for again.
    expect(asked.filter((p) => p.endsWith('2025-01-01.zip'))).toHaveLength(1);
    // Archive candles equal what REST gives for the same minute (same synthetic rows, both units).
    const jan2 = candles.find((k) => k.openTime === d0 + 3 * DAY);
    expect(jan2).toMatchObject({ open: '100.10000000', tradeCount: 10, closeTime: d0 + 3 * DAY + MIN - 1 });
  });

  it('a monthly file not published yet falls back to daily files; short ranges stay on REST', async () => {
    const m = Date.UTC(2024, 5, 1);
    const rest: Array<[number, number]> = [];
    const asked: string[] = [];
    const src = binanceArchiveCandleHistory({
      baseUrl: 'http://archive.test',
      fetch: fetchOf(files(m, 30), asked),
      rest: restSource(rest),
      adapter,
      now: () => Date.UTC(2024, 6, 2),
    });
    const candles = await drain(src, m, Date.UTC(2024, 6, 1));
    expect(candles).toHaveLength(30 * 1_440);
    expect(asked[0]).toBe('/data/spot/monthly/klines/BTCUSDT/1m/BTCUSDT-1m-2024-06.zip.CHECKSUM');
    expect(src.stats.fallbacks['not-published']).toBe(1);
    // The last 2 days are within `minRangeMs` of the end: REST, as for any short range.
    expect(src.stats.files).toBe(28);
    expect(rest.length).toBeGreaterThan(0);
    expect(rest.every(([f]) => f >= Date.UTC(2024, 5, 29))).toBe(true);
  });

  it('reads a whole month from its monthly file a day per page, and a page asked again from the file anew', async () => {
    const m = Date.UTC(2024, 1, 1);
    const end = Date.UTC(2024, 2, 1);
    const f = klineArchivePath('monthly', 'BTCUSDT', m);
    const z = zipOf('BTCUSDT-1m-2024-02.csv', csvOf(m, end, false));
    const asked: string[] = [];
    const rest: Array<[number, number]> = [];
    const src = binanceArchiveCandleHistory({
      baseUrl: 'http://archive.test',
      fetch: fetchOf({ [f.path]: z, [`${f.path}.CHECKSUM`]: `${sha256Hex(z)}  ${f.fileName}\n` }, asked),
      rest: restSource(rest),
      adapter,
      now: () => Date.UTC(2024, 2, 5),
      minRangeMs: 0,
    });
    const first = await src.fetchPage(sym, m, end);
    expect(first.candles).toHaveLength(1_440);
    expect(first.requests).toBe(2);
    const second = await src.fetchPage(sym, first.nextFrom, end);
    expect(second.candles[0]?.openTime).toBe(m + DAY);
    expect(second.requests).toBe(0);
    // The runner retries a page whose write failed: the file is read again from its start.
    const again = await src.fetchPage(sym, first.nextFrom, end);
    expect(again.candles).toEqual(second.candles);
    const rest2 = await drain(src, again.nextFrom, end);
    expect(rest2).toHaveLength(27 * 1_440);
    expect(src.stats.files).toBe(2);
    expect(rest).toEqual([]);
    expect(asked.every((p) => p.includes('/monthly/'))).toBe(true);
  });
  it('an unreachable archive opens a breaker: 2 requests, then whole REST pages until the retry time', async () => {
    const d0 = Date.UTC(2024, 5, 1);
    const rest: Array<[number, number]> = [];
    let archiveRequests = 0;
    let clock = Date.UTC(2024, 6, 20);
    const warnings: string[] = [];
    const src = binanceArchiveCandleHistory({
      baseUrl: 'http://archive.test',
      fetch: (async () => {
        archiveRequests++;
        throw new TypeError('fetch failed');
      }) as typeof fetch,
      rest: restSource(rest),
      adapter,
      now: () => clock,
      retryBaseMs: 1,
      minRangeMs: 0,
      logger: { warn: (_o, m) => warnings.push(m) },
    });
    const to = d0 + 10 * DAY;
    const candles = await drain(src, d0 + 30 * MIN, to);
    expect(candles).toHaveLength((to - d0) / MIN - 30);
    // One file, 2 attempts at its CHECKSUM; no other file of the 10 days asked.
    expect(archiveRequests).toBe(2);
    expect(src.stats.breakerTrips).toBe(1);
    expect(warnings.filter((w) => w.includes('unreachable'))).toHaveLength(1);
    // REST pages are whole 1,000-minute pages, not cut at UTC day ends (cut, they would be 10 more).
    expect(rest.length).toBe(Math.ceil(((to - d0) / MIN - 30) / 1000));
    expect(rest.some(([f, t]) => Math.floor(f / DAY) !== Math.floor((t - 1) / DAY))).toBe(true);
    // Past the retry time the archive is tried again.
    clock += 11 * 60_000;
    await src.fetchPage(sym, d0, to);
    expect(archiveRequests).toBe(4);
  });

  it('a verified file missing minutes has them filled from REST (2 calls at most), none left out', async () => {
    const d0 = Date.UTC(2024, 5, 1);
    const f = klineArchivePath('daily', 'BTCUSDT', d0);
    const lines = csvOf(d0, d0 + DAY, false)
      .trimEnd()
      .split('\n');
    // Minutes 100-199 and 1,300-1,339 are not in the file.
    const holed = [...lines.slice(0, 100), ...lines.slice(200, 1_300), ...lines.slice(1_340)];
    const z = zipOf(f.fileName.replace('.zip', '.csv'), `${holed.join('\n')}\n`);
    const rest: Array<[number, number]> = [];
    const warned: Array<Record<string, unknown>> = [];
    const src = binanceArchiveCandleHistory({
      baseUrl: 'http://archive.test',
      fetch: fetchOf({ [f.path]: z, [`${f.path}.CHECKSUM`]: `${sha256Hex(z)}  ${f.fileName}\n` }, []),
      rest: restSource(rest),
      adapter,
      now: () => Date.UTC(2024, 6, 20),
      minRangeMs: 0,
      logger: { warn: (o) => warned.push(o) },
    });
    const page = await src.fetchPage(sym, d0, d0 + DAY);
    expect(page.nextFrom).toBe(d0 + DAY);
    expect(page.candles.map((k) => k.openTime)).toEqual(
      Array.from({ length: 1_440 }, (_, i) => d0 + i * MIN),
    );
    expect(rest).toEqual([
      [d0 + 100 * MIN, d0 + 1_100 * MIN],
      [d0 + 1_300 * MIN, d0 + 1_340 * MIN],
    ]);
    expect(page.requests).toBe(2 + 2);
    expect(src.stats.gapMinutes).toBe(140);
    expect(src.stats.gapFillCalls).toBe(2);
    expect(warned).toEqual([expect.objectContaining({ missing: 140, fromRest: 140, stillMissing: 0 })]);
  });

  it('a resumed page mid-month starts the reader there (rows before it are not kept)', async () => {
    const m = Date.UTC(2024, 1, 1);
    const end = Date.UTC(2024, 2, 1);
    const f = klineArchivePath('monthly', 'BTCUSDT', m);
    const z = zipOf('BTCUSDT-1m-2024-02.csv', csvOf(m, end, false));
    const src = binanceArchiveCandleHistory({
      baseUrl: 'http://archive.test',
      fetch: fetchOf({ [f.path]: z, [`${f.path}.CHECKSUM`]: `${sha256Hex(z)}  ${f.fileName}\n` }, []),
      rest: restSource([]),
      adapter,
      now: () => Date.UTC(2024, 2, 5),
      minRangeMs: 0,
    });
    // Read to day 20, then day 20 asked again (its write failed): the file is reopened at day 20.
    for (let at = m; at < m + 20 * DAY; ) at = (await src.fetchPage(sym, at, end)).nextFrom;
    const take = vi.spyOn(ArchiveKlineReader.prototype, 'take');
    const page = await src.fetchPage(sym, m + 19 * DAY, end);
    expect(page.requests).toBe(2);
    expect(page.candles[0]?.openTime).toBe(m + 19 * DAY);
    expect(page.candles).toHaveLength(1_440);
    const reader = take.mock.contexts[0] as ArchiveKlineReader;
    take.mockRestore();
    expect(reader.startedAt).toBe(m + 19 * DAY);
  });
});
