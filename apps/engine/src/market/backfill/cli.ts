/**
 * `npm run backfill -- --venue binance --symbol BTC-USDT --interval 1m --from 2024-01-01 [--to 2024-02-01]`
 * `npm run backfill -- --venue binance --symbol BTC-USDT --trades --from 2024-01-01T00:00:00Z [--to ...]`
 *
 * Backfills one series from the venue's REST history (Binance candles: its public archive files first for
 * whole past months and days, BINANCE_ARCHIVE_URL, as the engine) into DATABASE_URL, or into the embedded database in
 * the data folder when DATABASE_URL is unset (stop `npm start` first: one server per data folder). Runs the
 * same job runner as the engine (the job is stored, so an interrupted run resumes when the engine or this
 * command runs again), within half the venue's published REST limit, and prints progress. With
 * MARKET_SOURCE=simulator the history comes from an in-process simulator (deterministic, seed 7, as the
 * engine's). `--from` / `--to` take YYYY-MM-DD, an ISO time or epoch milliseconds; `--to` defaults to now.
 * `--trades` backfills trades instead of candles (Binance historicalTrades by trade id, located by time with
 * aggTrades: the live `@trade` stream's ids, so a range the engine stored live is not stored twice; OKX
 * history-trades; Bybit serves only its newest trades, and the run says from when on the range is complete).
 */
import { parseArgs } from 'node:util';
import { createPgPool, MarketDataQueries, MarketDataWriter, migrate, startEmbeddedPostgres } from '@qt/db';
import { type ExchangeSim, startExchangeSim } from '@qt/exchange-sim';
import { candleHistorySource, tradeHistoryPages } from '@qt/market-data';
import { canonicalSymbol, klineInterval } from '@qt/shared';
import { z } from 'zod';
import { loadConfig } from '../../config/load-config.ts';
import { createLogger } from '../../observability/logger.ts';
import { restBudgetOf, venueEndpoints } from '../venue-endpoints.ts';
import { BackfillRunner } from './backfill-runner.ts';
import { BackfillStore } from './backfill-store.ts';
import { binanceArchiveUrlOf, withBinanceArchive } from './binance-archive-source.ts';

const time = z.union([
  z
    .string()
    .regex(/^\d{1,15}$/)
    .transform(Number),
  z.iso.date().transform((d) => Date.parse(`${d}T00:00:00Z`)),
  z.iso.datetime({ offset: true }).transform((d) => Date.parse(d)),
]);
const argsSchema = z.strictObject({
  venue: z.enum(['binance', 'okx', 'bybit']),
  symbol: canonicalSymbol,
  interval: klineInterval.exclude(['100ms', '1s']).default('1m'),
  from: time,
  to: time.optional(),
  trades: z.boolean().default(false),
});

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      venue: { type: 'string' },
      symbol: { type: 'string' },
      interval: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      trades: { type: 'boolean' },
    },
    strict: true,
  });
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) {
    process.stderr.write(
      `backfill: ${parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ')}\n` +
        'usage: npm run backfill -- --venue binance|okx|bybit --symbol BTC-USDT [--interval 1m | --trades] --from 2024-01-01 [--to ...]\n',
    );
    return 2;
  }
  const a = parsed.data;
  const now = Date.now();
  const fromMs = Math.floor(a.from / 60_000) * 60_000;
  const toMs = Math.floor(Math.min(a.to ?? now, now) / 60_000) * 60_000;
  if (!(fromMs < toMs)) {
    process.stderr.write('backfill: --from must be before --to (and before now)\n');
    return 2;
  }
  const config = loadConfig({ env: process.env, file: undefined, overrides: { marketVenues: [a.venue] } });
  const logger = createLogger(config.logLevel === 'silent' ? 'silent' : 'warn', 'backfill-cli');
  const stops: Array<() => Promise<unknown>> = [];
  try {
    let url = config.databaseUrl;
    if (!url) {
      const embedded = await startEmbeddedPostgres({
        dataDir: `${config.dataDir}/postgres`,
        port: config.embeddedPostgresPort,
      });
      stops.push(() => embedded.stop());
      url = embedded.url;
    }
    await migrate(url);
    const pool = createPgPool(url, { max: 4 });
    stops.push(() => pool.end());
    let sim: ExchangeSim | null = null;
    if (config.marketSource === 'simulator') {
      sim = await startExchangeSim({ symbols: [a.symbol], seed: 7, manual: true });
      const s = sim;
      stops.push(() => s.stop());
    }
    const venue = venueEndpoints(config, sim)[0];
    if (!venue) throw new Error(`no endpoints for ${a.venue}`);
    const store = new BackfillStore(pool);
    const writer = new MarketDataWriter(pool);
    const queries = new MarketDataQueries(pool);
    const budget = restBudgetOf(venue).lane('background');
    const kind = a.trades ? 'trades' : 'candles';
    const runner = new BackfillRunner(
      {
        store,
        // As the engine's backfill: Binance's archive files first for long ranges (BINANCE_ARCHIVE_URL).
        sources: new Map([
          [
            a.venue,
            withBinanceArchive(
              venue.adapter,
              candleHistorySource(venue.adapter, venue.restEndpoints, { budget }),
              binanceArchiveUrlOf(config, sim),
              logger,
            ),
          ],
        ]),
        tradeSources: new Map([
          [a.venue, tradeHistoryPages(venue.adapter, { restEndpoints: venue.restEndpoints, budget })],
        ]),
        writeKlines: (k) => writer.writeKlines(k),
        writeTrades: (t) => writer.writeTrades(t),
        stored1m: (v, symbol, f, t) =>
          queries.closedCandlesAscending({
            venue: v,
            symbol,
            interval: '1m',
            fromMs: f,
            toMs: t,
            limit: 50_000,
          }),
        logger,
      },
      { pollMs: 500 },
    );
    const existing = await store.findOpen(a.venue, a.symbol, fromMs, toMs, kind);
    const job =
      existing ??
      (await store.create({
        venue: a.venue,
        symbol: a.symbol,
        kind,
        interval: a.interval,
        fromMs,
        toMs,
        createdBy: 'system',
      }));
    process.stdout.write(
      `backfill ${job.id}: ${a.venue} ${a.symbol} ${a.trades ? 'trades' : '1m'} ${new Date(job.fromMs).toISOString()} .. ${new Date(job.toMs).toISOString()}${existing ? ' (resuming an open job)' : ''}\n`,
    );
    const started = Date.now();
    const finished = new Promise<string>((resolve) => {
      runner.onProgress((p) => {
        if (p.jobId !== job.id) return;
        const rate = Math.round(p.candlesWritten / Math.max(0.001, (Date.now() - started) / 1000));
        process.stdout.write(
          `  ${(p.progressBp / 100).toFixed(1).padStart(5)} %  ${new Date(p.cursorMs).toISOString()}  ${p.candlesWritten} ${kind}  ${rate}/s\n`,
        );
        if (p.status !== 'running') resolve(p.status === 'failed' ? `failed: ${p.error}` : p.status);
      });
    });
    runner.start();
    const onSignal = () => void runner.stop();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    const outcome = await Promise.race([
      finished,
      new Promise<string>((r) => process.once('SIGINT', () => r('interrupted (resumes next run)'))),
    ]);
    await runner.stop();
    process.stdout.write(`backfill ${outcome} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return outcome === 'done' ? 0 : 1;
  } finally {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`backfill failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
