-- Market data time series: `market_trades` and `market_klines` (candles).
--
-- Managed here in SQL, deliberately outside schema.prisma: they are written with COPY through `pg`
-- (packages/db/src/timeseries/), and their physical layout depends on the server. One migration
-- serves both kinds of server, branching in DO blocks:
--
--   * TimescaleDB available (pg_available_extensions) and preloaded: the extension is created and both
--     tables become hypertables (trades: 1-day chunks, candles: 7-day chunks) with compression
--     (segmentby venue, symbol[, interval]; orderby time), compression and retention policies, and
--     continuous aggregates `market_klines_1h_rollup` / `market_klines_1d_rollup` built from 1m candles.
--   * Otherwise: plain PostgreSQL declarative range partitioning on the time column, one partition per
--     UTC day (trades) or UTC week starting Monday (candles), plus a DEFAULT partition that catches rows
--     no partition covers yet, so ingestion never fails on a missing partition. Partitions are created
--     ahead and dropped after retention by `maintainPartitions()` (src/timeseries/partitions.ts), which
--     also moves rows out of the default partition when their partition is created.
--
-- Retention (both paths): trades 30 days, candles 365 days. Prices and quantities are unconstrained
-- `numeric`: exact at any precision and scale, stored as received, read back in canonical form (see
-- packages/db/src/timeseries/README.md); times are timestamptz holding millisecond values. Key text columns use COLLATE "C": byte order is what keyset
-- paging needs and is several times cheaper to compare than a linguistic collation.
--
-- The primary keys contain the partitioning column, as both partitioning schemes require:
--   trades  (venue, symbol, exchange_time, trade_id): the idempotency key of a trade and, in this
--           column order, also the index behind "recent trades" keyset paging (one index, not two).
--   candles (venue, symbol, interval, open_time).

-- 1. The extension, when this server can load it.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    RETURN;
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
    RAISE NOTICE 'timescaledb is not available: market data tables use native partitioning';
    RETURN;
  END IF;
  -- Installed but not in shared_preload_libraries, CREATE EXTENSION fails; fall back rather than fail.
  IF current_setting('shared_preload_libraries') !~ '(^|,)\s*("?\$libdir/)?timescaledb"?\s*(,|$)' THEN
    RAISE WARNING 'timescaledb is installed but not in shared_preload_libraries: market data tables use native partitioning';
    RETURN;
  END IF;
  CREATE EXTENSION IF NOT EXISTS timescaledb;
END $$;

-- 2. The tables, the same columns on both paths.
DO $$
DECLARE
  timescale boolean := EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb');
  trades text := $sql$
    CREATE TABLE market_trades (
      venue          text COLLATE "C" NOT NULL,
      symbol         text COLLATE "C" NOT NULL,
      venue_symbol   text NOT NULL,
      trade_id       text COLLATE "C" NOT NULL,
      price          numeric NOT NULL,
      quantity       numeric NOT NULL,
      taker_side     text NOT NULL CONSTRAINT market_trades_taker_side_check CHECK (taker_side IN ('buy', 'sell')),
      exchange_time  timestamptz NOT NULL,
      receive_time   timestamptz NOT NULL,
      CONSTRAINT market_trades_pkey PRIMARY KEY (venue, symbol, exchange_time, trade_id)
    )$sql$;
  klines text := $sql$
    CREATE TABLE market_klines (
      venue                  text COLLATE "C" NOT NULL,
      symbol                 text COLLATE "C" NOT NULL,
      "interval"             text COLLATE "C" NOT NULL
        CONSTRAINT market_klines_interval_check
        CHECK ("interval" IN ('100ms', '1s', '1m', '5m', '15m', '1h', '4h', '1d')),
      open_time              timestamptz NOT NULL,
      close_time             timestamptz NOT NULL,
      open                   numeric NOT NULL,
      high                   numeric NOT NULL,
      low                    numeric NOT NULL,
      close                  numeric NOT NULL,
      base_volume            numeric NOT NULL,
      quote_volume           numeric NOT NULL,
      taker_buy_base_volume  numeric NOT NULL,
      trade_count            bigint NOT NULL,
      closed                 boolean NOT NULL,
      CONSTRAINT market_klines_pkey PRIMARY KEY (venue, symbol, "interval", open_time)
    )$sql$;
BEGIN
  IF timescale THEN
    EXECUTE trades;
    EXECUTE klines;
  ELSE
    EXECUTE trades || ' PARTITION BY RANGE (exchange_time)';
    EXECUTE klines || ' PARTITION BY RANGE (open_time)';
    CREATE TABLE market_trades_default PARTITION OF market_trades DEFAULT;
    CREATE TABLE market_klines_default PARTITION OF market_klines DEFAULT;
  END IF;
END $$;

COMMENT ON TABLE market_trades IS
  'Normalised trades, written by COPY + INSERT ON CONFLICT DO NOTHING (packages/db/src/timeseries). Hypertable or natively partitioned by exchange_time.';
COMMENT ON TABLE market_klines IS
  'Candles, upserted by (venue, symbol, interval, open_time) (packages/db/src/timeseries). Hypertable or natively partitioned by open_time.';

-- 3. TimescaleDB: hypertables, compression, policies. (Every block below returns at once without it.)
DO $$
DECLARE
  version int[];
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    RETURN;
  END IF;
  version := string_to_array(substring((SELECT extversion FROM pg_extension WHERE extname = 'timescaledb') FROM '^[0-9.]+'), '.')::int[];
  -- The primary keys lead with venue, symbol and cover the time column: no default time index needed.
  IF version >= ARRAY[2, 13] THEN
    PERFORM create_hypertable('market_trades', by_range('exchange_time', INTERVAL '1 day'), create_default_indexes => false);
    PERFORM create_hypertable('market_klines', by_range('open_time', INTERVAL '7 days'), create_default_indexes => false);
  ELSE
    PERFORM create_hypertable('market_trades', 'exchange_time', chunk_time_interval => INTERVAL '1 day', create_default_indexes => false);
    PERFORM create_hypertable('market_klines', 'open_time', chunk_time_interval => INTERVAL '7 days', create_default_indexes => false);
  END IF;

  -- Segment by what every query filters on; order by time as queries read it. Late trades (within the
  -- 2-day window) and candle corrections (14 days) land in uncompressed chunks; older ones still work
  -- (TimescaleDB >= 2.11 decompresses the affected segment for INSERT ... ON CONFLICT).
  ALTER TABLE market_trades SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'venue, symbol',
    timescaledb.compress_orderby = 'exchange_time DESC, trade_id DESC'
  );
  ALTER TABLE market_klines SET (
    timescaledb.compress,
    timescaledb.compress_segmentby = 'venue, symbol, "interval"',
    timescaledb.compress_orderby = 'open_time DESC'
  );
  PERFORM add_compression_policy('market_trades', compress_after => INTERVAL '2 days', if_not_exists => true);
  PERFORM add_compression_policy('market_klines', compress_after => INTERVAL '14 days', if_not_exists => true);
  PERFORM add_retention_policy('market_trades', drop_after => INTERVAL '30 days', if_not_exists => true);
  PERFORM add_retention_policy('market_klines', drop_after => INTERVAL '365 days', if_not_exists => true);
END $$;

-- 4. TimescaleDB: hourly and daily rollups of 1m candles, kept beyond the raw candles' retention (no
-- retention policy on them; their refresh windows, 3 and 7 days back, stay far inside the raw 365 days,
-- so a retention drop never empties a bucket a refresh would recompute). Real-time: queries see
-- not-yet-materialised buckets too. Created WITH NO DATA: WITH DATA cannot run in a transaction.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    RETURN;
  END IF;
  CREATE MATERIALIZED VIEW market_klines_1h_rollup
  WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT venue, symbol, time_bucket(INTERVAL '1 hour', open_time) AS bucket,
         first(open, open_time) AS open, max(high) AS high, min(low) AS low, last(close, open_time) AS close,
         sum(base_volume) AS base_volume, sum(quote_volume) AS quote_volume,
         sum(taker_buy_base_volume) AS taker_buy_base_volume, sum(trade_count) AS trade_count,
         count(*) AS minutes
    FROM market_klines
   WHERE "interval" = '1m'
   GROUP BY venue, symbol, time_bucket(INTERVAL '1 hour', open_time)
  WITH NO DATA;

  CREATE MATERIALIZED VIEW market_klines_1d_rollup
  WITH (timescaledb.continuous, timescaledb.materialized_only = false) AS
  SELECT venue, symbol, time_bucket(INTERVAL '1 day', open_time) AS bucket,
         first(open, open_time) AS open, max(high) AS high, min(low) AS low, last(close, open_time) AS close,
         sum(base_volume) AS base_volume, sum(quote_volume) AS quote_volume,
         sum(taker_buy_base_volume) AS taker_buy_base_volume, sum(trade_count) AS trade_count,
         count(*) AS minutes
    FROM market_klines
   WHERE "interval" = '1m'
   GROUP BY venue, symbol, time_bucket(INTERVAL '1 day', open_time)
  WITH NO DATA;

  PERFORM add_continuous_aggregate_policy('market_klines_1h_rollup',
    start_offset => INTERVAL '3 days', end_offset => INTERVAL '1 hour',
    schedule_interval => INTERVAL '15 minutes', if_not_exists => true);
  PERFORM add_continuous_aggregate_policy('market_klines_1d_rollup',
    start_offset => INTERVAL '7 days', end_offset => INTERVAL '1 day',
    schedule_interval => INTERVAL '1 hour', if_not_exists => true);
END $$;
