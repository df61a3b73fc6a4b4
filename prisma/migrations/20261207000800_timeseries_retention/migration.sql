-- Time-series retention, one setting for both storage paths: drop the continuous aggregates.
--
-- The TimescaleDB path created `market_klines_1h_rollup` and `market_klines_1d_rollup` (hourly and daily
-- rollups of 1m candles, no retention). Nothing reads them: the aggregator already stores exact 1h, 4h
-- and 1d candles in `market_klines` (kept KLINE_RETENTION_DAYS, like every candle), and the rollups
-- could disagree with them: their policies re-materialise only the last 3 / 7 days, so a late
-- correction older than that was never reflected, and they outlived the configured retention.
-- Dropping a continuous aggregate also removes its refresh policy. On plain PostgreSQL they never
-- existed: IF EXISTS makes this a no-op there.
--
-- The retention policies themselves are not set here: the engine brings them to TRADE_RETENTION_DAYS /
-- KLINE_RETENTION_DAYS at start and hourly (maintainPartitions, packages/db/src/timeseries/partitions.ts).
DROP MATERIALIZED VIEW IF EXISTS market_klines_1d_rollup;
DROP MATERIALIZED VIEW IF EXISTS market_klines_1h_rollup;
