import { finished } from 'node:stream/promises';
import { copyField, MarketDataWriter } from '@qt/db';
import { type Kline, liveClock, type Trade } from '@qt/shared';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import {
  against,
  type BenchResult,
  benchRounds,
  benchSeconds,
  type Case,
  type Compared,
  closedLoop,
  interleaved,
  report,
  table,
  warmupFor,
} from './lib/measure.ts';
import { withScratchTimeSeries } from './lib/scratch-time-series.ts';

const CANDLE_PAGE = 1_000;
const TRADE_PAGE = 3_000;
const SECONDS = benchSeconds(8);
const ROUNDS = benchRounds(4);
const MIN = 60_000;
const log = (line: string) => process.stdout.write(`${line}\n`);

/** xorshift32 with a fixed seed: the same rows every run. */
function rng(): () => number {
  let seed = 0x9e3779b9;
  return () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
}

/**
 * Pages of 1m candles, each page a new symbol over the same day (so the open times stay inside today's
 * partition and every row is new): the series a backfill of many symbols writes.
 */
function candlePages(dayStart: number) {
  const rand = rng();
  let page = 0;
  return (): Kline[] => {
    page += 1;
    const symbol = `B${page}-USDT`;
    return Array.from({ length: CANDLE_PAGE }, (_, i) => {
      const open = 50_000 + rand() * 1_000;
      const close = open + (rand() - 0.5) * 50;
      const openTime = dayStart + i * MIN;
      return {
        venue: 'binance',
        symbol,
        interval: '1m',
        openTime,
        closeTime: openTime + MIN - 1,
        open: open.toFixed(2),
        high: (Math.max(open, close) + rand() * 10).toFixed(2),
        low: (Math.min(open, close) - rand() * 10).toFixed(2),
        close: close.toFixed(2),
        baseVolume: (rand() * 20).toFixed(6),
        quoteVolume: (rand() * 1_000_000).toFixed(6),
        takerBuyBaseVolume: (rand() * 10).toFixed(6),
        tradeCount: 100 + Math.floor(rand() * 500),
        closed: true,
      };
    });
  };
}

/** Pages of trades: 10 minutes of one symbol each, ids from a counter shared by both cases. */
function tradePages(startMs: number) {
  const rand = rng();
  let id = 0;
  return (): Trade[] =>
    Array.from({ length: TRADE_PAGE }, () => {
      id += 1;
      const t = startMs + Math.floor((id % TRADE_PAGE) * ((10 * MIN) / TRADE_PAGE));
      return {
        venue: 'binance',
        symbol: 'BTC-USDT',
        venueSymbol: 'BTCUSDT',
        tradeId: String(295_000_000_000 + id),
        price: (50_000 + rand() * 1_000).toFixed(2),
        quantity: (rand() * 0.5).toFixed(6),
        takerSide: rand() < 0.5 ? 'buy' : 'sell',
        exchangeTime: t,
        receiveTime: t,
      };
    });
}

async function copyInto(pool: pg.Pool, sql: string, text: string): Promise<void> {
  const client = await pool.connect();
  try {
    const stream = client.query(copyFrom(sql));
    const done = finished(stream);
    stream.end(text);
    await done;
  } finally {
    client.release();
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function bareCopyKlines(pool: pg.Pool, klines: readonly Kline[]): Promise<void> {
  let text = '';
  for (const k of klines) {
    text += `${copyField(k.venue)}\t${copyField(k.symbol)}\t${k.interval}\t${iso(k.openTime)}\t${iso(k.closeTime)}\t${k.open}\t${k.high}\t${k.low}\t${k.close}\t${k.baseVolume}\t${k.quoteVolume}\t${k.takerBuyBaseVolume}\t${k.tradeCount}\t${k.closed ? 't' : 'f'}\n`;
  }
  return copyInto(
    pool,
    'COPY market_klines (venue, symbol, "interval", open_time, close_time, open, high, low, close, base_volume, quote_volume, taker_buy_base_volume, trade_count, closed) FROM STDIN',
    text,
  );
}

function bareCopyTrades(pool: pg.Pool, trades: readonly Trade[]): Promise<void> {
  let text = '';
  for (const t of trades) {
    text += `${copyField(t.venue)}\t${copyField(t.symbol)}\t${copyField(t.venueSymbol)}\t${copyField(t.tradeId)}\t${t.price}\t${t.quantity}\t${t.takerSide}\t${iso(t.exchangeTime)}\t${iso(t.receiveTime)}\n`;
  }
  return copyInto(
    pool,
    'COPY market_trades (venue, symbol, venue_symbol, trade_id, price, quantity, taker_side, exchange_time, receive_time) FROM STDIN',
    text,
  );
}

const inRows =
  (rows: number) =>
  (c: Compared): Compared => ({
    ...c,
    throughput: c.throughput * rows,
    perRound: c.perRound.map((r) => r * rows),
  });

async function main(): Promise<void> {
  await withScratchTimeSeries('backfill', log, async (pool) => {
    const writer = new MarketDataWriter(pool);
    const dayStart = Math.floor(liveClock.now() / 86_400_000) * 86_400_000;
    const nextCandles = candlePages(dayStart);
    const nextTrades = tradePages(dayStart);
    let duplicates = 0;
    const loop = (op: () => Promise<unknown>) => (seconds: number, warmup: number) =>
      closedLoop(op, { seconds, warmupSeconds: warmup, concurrency: 1 });
    const cases: Case[] = [
      { name: 'backfill.candles.write', run: loop(() => writer.writeKlines(nextCandles())) },
      { name: 'backfill.candles.bare_copy', run: loop(() => bareCopyKlines(pool, nextCandles())) },
      {
        name: 'backfill.trades.write',
        run: loop(async () => {
          duplicates += (await writer.writeTrades(nextTrades())).duplicates;
        }),
      },
      { name: 'backfill.trades.bare_copy', run: loop(() => bareCopyTrades(pool, nextTrades())) },
    ];
    log(`backfill storage: ${SECONDS} s per case in ${ROUNDS} interleaved rounds`);
    const compared = await interleaved(
      cases,
      { seconds: SECONDS, rounds: ROUNDS, warmupSeconds: warmupFor(SECONDS, ROUNDS) },
      log,
    );
    const [candles, candlesBare] = compared.slice(0, 2).map(inRows(CANDLE_PAGE)) as [Compared, Compared];
    const [trades, tradesBare] = compared.slice(2).map(inRows(TRADE_PAGE)) as [Compared, Compared];
    if (duplicates !== 0) throw new Error(`the bench wrote ${duplicates} duplicate trades: rows not unique`);
    const { rows } = await pool.query<{ k: string; t: string }>(
      'SELECT (SELECT count(*) FROM market_klines) AS k, (SELECT count(*) FROM market_trades) AS t',
    );
    const results: BenchResult[] = [
      against(
        candles,
        candlesBare,
        'rows/s',
        `kline upsert (most trades wins), ${CANDLE_PAGE}-candle pages; latency per page`,
      ),
      against(candlesBare, candlesBare, 'rows/s', `bare COPY (text) into market_klines, ${CANDLE_PAGE} rows`),
      against(
        trades,
        tradesBare,
        'rows/s',
        `staging COPY + INSERT ON CONFLICT DO NOTHING, ${TRADE_PAGE}-trade pages; latency per page`,
      ),
      against(tradesBare, tradesBare, 'rows/s', `bare COPY (text) into market_trades, ${TRADE_PAGE} rows`),
    ];
    log(`rows stored: ${rows[0]?.k} candles, ${rows[0]?.t} trades`);
    log(table(results));
    for (const r of results) report(r);
  });
}

await main();
