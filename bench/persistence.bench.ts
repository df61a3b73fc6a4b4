/**
 * Persistence of trades: the writer's path (COPY into a TEMP staging table, then INSERT ... SELECT ...
 * ON CONFLICT DO NOTHING into `market_trades`, one transaction, synchronous commit) against a bare COPY
 * of the same rows straight into the same table, in the same run, interleaved in rounds.
 *
 *   npx tsx bench/persistence.bench.ts        (BENCH_SECONDS, BENCH_ROUNDS; DATABASE_URL or embedded)
 *
 * Load shape: one writer, one 10,000-row batch at a time (a closed loop of 1), every batch new trades
 * (the insert path, not the duplicate path). Latency is one batch, call to COMMIT. Rows carry the
 * current day's times, so they land in the day partition `maintainPartitions` created. The database is
 * a `qt_bench_persist_*` one created here and dropped at the end (on DATABASE_URL's server, else on an
 * embedded PostgreSQL in a temp folder).
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import {
  copyField,
  MarketDataWriter,
  maintainPartitions,
  migrate,
  type RunningPostgres,
  startEmbeddedPostgres,
  withClient,
  withDatabase,
} from '@qt/db';
import { liveClock, type Trade } from '@qt/shared';
import pg from 'pg';
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
  let embedded: RunningPostgres | undefined;
  let dataDir: string | undefined;
  let serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    log('DATABASE_URL unset: an embedded PostgreSQL in a temp folder');
    dataDir = mkdtempSync(join(tmpdir(), 'qt-bench-persist-'));
    if (process.getuid?.() === 0) chmodSync(dataDir, 0o755);
    embedded = await startEmbeddedPostgres({ dataDir, port: 54_900 + Math.floor(Math.random() * 90) });
    serverUrl = embedded.url;
  }
  const dbName = `qt_bench_persist_${randomBytes(4).toString('hex')}`;
  const admin = serverUrl;
  await withClient(admin, (c) => c.query(`CREATE DATABASE "${dbName}"`));
  const url = withDatabase(admin, dbName);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  try {
    await migrate(url);
    const partitions = await maintainPartitions(pool, { clock: liveClock });
    log(`storage: ${partitions.mode}, partitions created: ${partitions.created.join(', ')}`);
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
  } finally {
    await pool.end();
    await withClient(admin, (c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
    await embedded?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
