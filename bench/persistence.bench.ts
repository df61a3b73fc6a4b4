import { finished } from 'node:stream/promises';
import { copyField, MarketDataWriter } from '@qt/db';
import { liveClock, type Trade } from '@qt/shared';
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

const BATCH = 10_000;
const SECONDS = benchSeconds(10);
const ROUNDS = benchRounds(4);
const log = (line: string) => process.stdout.write(`${line}\n`);

/** Deterministic trades (xorshift32, fixed seed), unique ids from a counter shared by both cases. */
function tradeSource(startMs: number) {
  let seed = 0x9e3779b9;
  let id = 0;
  const rand = () => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const symbols = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT', 'DOGE-USDT'];
  return (): Trade[] =>
    Array.from({ length: BATCH }, () => {
      id += 1;
      const symbol = symbols[id % symbols.length] as string;
      const t = startMs + Math.floor(id / 50);
      return {
        venue: 'binance',
        symbol,
        venueSymbol: symbol.replace('-', ''),
        tradeId: String(id),
        price: (10 + rand() * 90_000).toFixed(2),
        quantity: (rand() * 5).toFixed(6),
        takerSide: rand() < 0.5 ? 'buy' : 'sell',
        exchangeTime: t,
        receiveTime: t + 3,
      };
    });
}

/** The baseline: the same rows, one COPY straight into market_trades (times as ISO text, autocommit). */
async function bareCopy(pool: pg.Pool, trades: readonly Trade[]): Promise<void> {
  let text = '';
  for (const t of trades) {
    text += `${copyField(t.venue)}\t${copyField(t.symbol)}\t${copyField(t.venueSymbol)}\t${copyField(t.tradeId)}\t${t.price}\t${t.quantity}\t${t.takerSide}\t${new Date(t.exchangeTime).toISOString()}\t${new Date(t.receiveTime).toISOString()}\n`;
  }
  const client = await pool.connect();
  try {
    const stream = client.query(
      copyFrom(
        'COPY market_trades (venue, symbol, venue_symbol, trade_id, price, quantity, taker_side, exchange_time, receive_time) FROM STDIN',
      ),
    );
    const done = finished(stream);
    stream.end(text);
    await done;
  } finally {
    client.release();
  }
}

/** Throughput in rows/s rather than batches/s. */
const inRows = (c: Compared): Compared => ({
  ...c,
  throughput: c.throughput * BATCH,
  perRound: c.perRound.map((r) => r * BATCH),
});

async function main(): Promise<void> {
  await withScratchTimeSeries('persist', log, async (pool) => {
    const writer = new MarketDataWriter(pool);
    const next = tradeSource(liveClock.now());
    let duplicates = 0;

    const cases: Case[] = [
      {
        name: 'persist.trades',
        run: (seconds, warmup) =>
          closedLoop(
            async () => {
              const r = await writer.writeTrades(next());
              duplicates += r.duplicates;
            },
            { seconds, warmupSeconds: warmup, concurrency: 1 },
          ),
      },
      {
        name: 'persist.trades.bare_copy',
        run: (seconds, warmup) =>
          closedLoop(() => bareCopy(pool, next()), { seconds, warmupSeconds: warmup, concurrency: 1 }),
      },
    ];
    log(`persistence: ${BATCH}-row batches, ${SECONDS} s per case in ${ROUNDS} interleaved rounds`);
    const [ours, bare] = (
      await interleaved(
        cases,
        { seconds: SECONDS, rounds: ROUNDS, warmupSeconds: warmupFor(SECONDS, ROUNDS) },
        log,
      )
    ).map(inRows) as [Compared, Compared];
    if (duplicates !== 0)
      throw new Error(`the bench wrote ${duplicates} duplicates: its rows are not unique`);
    const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM market_trades');
    const results: BenchResult[] = [
      against(
        ours,
        bare,
        'rows/s',
        `staging COPY (text) + INSERT ON CONFLICT DO NOTHING, 1 transaction, ${BATCH}-row batches; latency per batch`,
      ),
      against(bare, bare, 'rows/s', `bare COPY (text) into market_trades, ${BATCH}-row batches`),
    ];
    log(`rows stored: ${rows[0]?.n}`);
    log(table(results));
    for (const r of results) report(r);
  });
}

await main();
