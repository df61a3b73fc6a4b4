import { finished } from 'node:stream/promises';
import type { Kline, Trade } from '@qt/shared';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { klineCopyColumns, klinesCopyText, tradeCopyColumns, tradesCopyText } from './copy-text.ts';

export interface WriteTradesResult {
  /** Rows this call added. */
  inserted: number;
  /** Trades already stored (a redelivery or retry) or repeated within the batch: not added again. */
  duplicates: number;
}

export interface WriteKlinesResult {
  /** Candles inserted, or stored ones replaced by this batch's version (an update, a late-trade correction). */
  written: number;
  /**
   * Candles left as stored: an older version than the stored one (fewer trades, or still open while the
   * stored one is closed: a redelivery arriving after its correction) or superseded later in the batch.
   */
  unchanged: number;
}

export interface MarketDataWriterOptions {
  /** Attempts for a batch that hit a deadlock or serialization failure (each attempt is atomic). */
  maxAttempts?: number;
}

// The staging tables are TEMP: private to the session, so concurrent writers never see or lock each
// other's rows, no WAL is written for them, and they live in local buffers. Created once per pooled
// connection (not per batch: a per-batch CREATE churns the system catalogs) and emptied by every COMMIT.
// An UNLOGGED shared table would need a batch id column, DELETEs and vacuuming, and would make writers
// contend on one table. (Transaction-pooling proxies such as PgBouncer in transaction mode do not keep
// temp tables between transactions: point this pool at PostgreSQL or a session-mode pool.)
const stagingDdl = `
CREATE TEMP TABLE IF NOT EXISTS qt_stage_trades (
  venue text COLLATE "C", symbol text COLLATE "C", venue_symbol text, trade_id text COLLATE "C",
  price numeric, quantity numeric, taker_side text, exchange_ms bigint, receive_ms bigint
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS qt_stage_klines (
  venue text COLLATE "C", symbol text COLLATE "C", "interval" text COLLATE "C", open_ms bigint, close_ms bigint,
  open numeric, high numeric, low numeric, close numeric, base_volume numeric, quote_volume numeric,
  taker_buy_base_volume numeric, trade_count bigint, closed boolean
) ON COMMIT DELETE ROWS`;

/** Milliseconds since the epoch to timestamptz, in exact integer arithmetic (to_timestamp goes via a double). */
const ts = (ms: string) => `timestamptz 'epoch' + ${ms} * interval '1 millisecond'`;

// Decimals are stored as received (numeric keeps the value and its scale exactly); reads return them in
// canonical form (README, "Decimals"): canonicalising there, not here, keeps the hot path lean.
const insertTrades = `
INSERT INTO market_trades
  (venue, symbol, venue_symbol, trade_id, price, quantity, taker_side, exchange_time, receive_time)
SELECT venue, symbol, venue_symbol, trade_id, price, quantity, taker_side,
       ${ts('exchange_ms')}, ${ts('receive_ms')}
  FROM qt_stage_trades
ON CONFLICT (venue, symbol, exchange_time, trade_id) DO NOTHING`;

// The WHERE keeps a stored candle from going back: a redelivered older version (fewer trades, or open
// while the stored one is closed) does not overwrite a newer one; a correction (more trades) does.
// (Insert and update are not counted apart: RETURNING xmax, the usual trick, is refused on partitioned
// tables, and a pre-count would race with concurrent writers.)
const upsertKlines = `
INSERT INTO market_klines AS k
    (venue, symbol, "interval", open_time, close_time, open, high, low, close,
     base_volume, quote_volume, taker_buy_base_volume, trade_count, closed)
  SELECT venue, symbol, "interval", ${ts('open_ms')}, ${ts('close_ms')},
         open, high, low, close, base_volume, quote_volume, taker_buy_base_volume, trade_count, closed
    FROM qt_stage_klines
  ON CONFLICT (venue, symbol, "interval", open_time) DO UPDATE SET
    close_time = EXCLUDED.close_time, open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,
    close = EXCLUDED.close, base_volume = EXCLUDED.base_volume, quote_volume = EXCLUDED.quote_volume,
    taker_buy_base_volume = EXCLUDED.taker_buy_base_volume, trade_count = EXCLUDED.trade_count,
    closed = EXCLUDED.closed
  WHERE (EXCLUDED.closed OR NOT k.closed) AND EXCLUDED.trade_count >= k.trade_count`;

const retryable = new Set(['40P01', '40001']); // deadlock_detected, serialization_failure

/**
 * Writes trades and candles in batches: COPY into a session-private staging table, then one
 * INSERT ... SELECT into the real table, all in one transaction with synchronous commit. Each call
 * resolves only after COMMIT, so `await writer.writeTrades(batch)` then ack to NATS is the whole
 * protocol: a batch that fails leaves no rows (reject -> do not ack -> redelivery), and a redelivered
 * or retried batch adds nothing twice.
 */
export class MarketDataWriter {
  readonly #pool: pg.Pool;
  readonly #maxAttempts: number;
  readonly #staged = new WeakSet<pg.PoolClient>();

  constructor(pool: pg.Pool, opts: MarketDataWriterOptions = {}) {
    this.#pool = pool;
    this.#maxAttempts = Math.max(1, opts.maxAttempts ?? 3);
  }

  async writeTrades(trades: readonly Trade[]): Promise<WriteTradesResult> {
    if (trades.length === 0) return { inserted: 0, duplicates: 0 };
    const payload = tradesCopyText(trades);
    const inserted = await this.#inTransaction(async (client) => {
      await copyIn(client, `COPY qt_stage_trades (${tradeCopyColumns}) FROM STDIN`, payload);
      return (await client.query(insertTrades)).rowCount ?? 0;
    });
    return { inserted, duplicates: trades.length - inserted };
  }

  async writeKlines(klines: readonly Kline[]): Promise<WriteKlinesResult> {
    if (klines.length === 0) return { written: 0, unchanged: 0 };
    // ON CONFLICT DO UPDATE refuses to touch one row twice in a statement: the batch's last version of a
    // candle is the one that counts.
    const latest = new Map<string, Kline>();
    for (const k of klines) latest.set(`${k.venue}\0${k.symbol}\0${k.interval}\0${k.openTime}`, k);
    const payload = klinesCopyText([...latest.values()]);
    const written = await this.#inTransaction(async (client) => {
      await copyIn(client, `COPY qt_stage_klines (${klineCopyColumns}) FROM STDIN`, payload);
      return (await client.query(upsertKlines)).rowCount ?? 0;
    });
    return { written, unchanged: klines.length - written };
  }

  async #inTransaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.#pool.connect();
      let broken: Error | undefined;
      // A checked-out client whose connection dies between queries emits 'error'; unheard, that would
      // crash the process. Heard, the pending or next query fails and the client is dropped on release.
      const onError = (err: Error) => {
        broken = err;
      };
      client.on('error', onError);
      try {
        if (!this.#staged.has(client)) {
          await client.query(stagingDdl);
          this.#staged.add(client);
        }
        // Explicit, so the "committed before ack" promise holds whatever the server's default is.
        await client.query('BEGIN; SET LOCAL synchronous_commit = on');
        try {
          const result = await work(client);
          await client.query('COMMIT');
          return result;
        } catch (err) {
          await client.query('ROLLBACK').catch((rollbackErr: Error) => {
            broken = rollbackErr; // the connection is unusable: the pool drops it
          });
          throw err;
        }
      } catch (err) {
        if (attempt < this.#maxAttempts && retryable.has((err as { code?: string }).code ?? '')) continue;
        throw err;
      } finally {
        client.off('error', onError);
        client.release(broken);
      }
    }
  }
}

async function copyIn(client: pg.PoolClient, sql: string, payload: string): Promise<void> {
  const stream = client.query(copyFrom(sql));
  const done = finished(stream);
  stream.end(payload);
  await done;
}
