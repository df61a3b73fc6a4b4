/**
 * Child-process entry of bench/ingest-cpu.bench.ts: one role per process, so each one's CPU time
 * (process.cpuUsage, user + system) is its own. Roles (argv[2], JSON):
 *  - `sim`: @qt/exchange-sim with its default clock (epoch milliseconds, so candles are cut as live);
 *  - `bare`: one `ws` socket with the feed's subscriptions; `parse: true` also JSON.parses every frame;
 *  - `engine`: what the engine runs per trade: the connector (createFeed), TradePublisher, the bus
 *    (NATS JetStream or in-process), the candle service (every interval), the trade and candle persisters
 *    (PostgreSQL, DATABASE_URL given by the parent).
 * The parent talks over IPC: `stats` (trades seen so far and CPU microseconds), `rate` (sim), `stop`.
 */
import { randomBytes } from 'node:crypto';
import { MarketDataWriter } from '@qt/db';
import { startExchangeSim } from '@qt/exchange-sim';
import { createBinanceAdapter, createFeed, type Feed } from '@qt/market-data';
import type { MessageBus } from '@qt/shared';
import pg from 'pg';
import { pino } from 'pino';
import { InProcessBus } from '../../apps/engine/src/bus/in-process-bus.ts';
import { NatsBus } from '../../apps/engine/src/bus/nats/nats-bus.ts';
import { streamSpecs } from '../../apps/engine/src/bus/streams.ts';
import { startKlineService } from '../../apps/engine/src/market/aggregate/kline-service.ts';
import { TradePublisher } from '../../apps/engine/src/market/ingest/trade-publisher.ts';
import type { InstrumentCatalog } from '../../apps/engine/src/market/instruments/instrument-catalog.ts';
import { startKlinePersister } from '../../apps/engine/src/market/persist/kline-persister.ts';
import { startTradePersister } from '../../apps/engine/src/market/persist/trade-persister.ts';
import { openRawSocket } from './venue-sockets.ts';

export type ChildRole =
  | { role: 'sim'; symbols: string[]; tradesPerSecond: number }
  | { role: 'bare'; wsBase: string; symbols: string[]; parse: boolean }
  | {
      role: 'engine';
      wsBase: string;
      symbols: string[];
      bus: 'nats' | 'in-process';
      natsUrl?: string;
      databaseUrl: string;
    };

export interface ChildStats {
  /** Trades received (bare) or handed to the publisher by the connector (engine). */
  trades: number;
  /** Engine: trades stored by the trade persister (its lag is trades - stored). */
  stored: number;
  cpuMicros: number;
}

const send = (m: Record<string, unknown>) => process.send?.(m);
const spec = JSON.parse(process.argv[2] ?? '{}') as ChildRole;
const logger = pino({ level: 'silent' });
const clock = { now: () => Date.now() };
const counters = { trades: 0, stored: 0 };
const stops: Array<() => Promise<unknown>> = [];
let storedOf = () => 0;
let setRate: (tradesPerSecond: number) => void = () => {};

async function start(): Promise<Record<string, unknown>> {
  if (spec.role === 'sim') {
    const sim = await startExchangeSim({
      port: 0,
      symbols: spec.symbols,
      tradesPerSecond: spec.tradesPerSecond,
      seed: 7,
    });
    stops.push(() => sim.stop());
    setRate = (r) => sim.faults.setRate(r);
    return { wsBase: sim.urls[0]?.binance.ws };
  }
  if (spec.role === 'bare') {
    const trade = Buffer.from('"e":"trade"');
    const sock = await openRawSocket(createBinanceAdapter(), spec.wsBase, spec.symbols, (buf) => {
      if (spec.parse) {
        const frame = JSON.parse(buf.toString('utf8')) as { data?: { e?: string } };
        if (frame.data?.e === 'trade') counters.trades++;
      } else if (buf.indexOf(trade) >= 0) {
        counters.trades++;
      }
    });
    stops.push(() => sock.close());
    return {};
  }
  const pool = new pg.Pool({ connectionString: spec.databaseUrl, max: 4 });
  stops.push(() => pool.end());
  let bus: MessageBus & { close(): Promise<void> };
  if (spec.bus === 'nats') {
    const nats = await NatsBus.connect({
      url: spec.natsUrl ?? 'nats://127.0.0.1:4222',
      streams: streamSpecs.map((s) => ({ ...s, maxBytes: Math.min(s.maxBytes, 256 * 1024 * 1024) })),
      clock,
      logger,
      name: 'qt-bench-ingest-cpu',
      namespace: `qt_bench_cpu_${randomBytes(4).toString('hex')}`,
    });
    stops.push(() => nats.deleteStreams());
    bus = nats;
  } else {
    bus = new InProcessBus({ streams: streamSpecs, clock, logger });
  }
  stops.push(() => bus.close());
  const writer = new MarketDataWriter(pool);
  const trades = await startTradePersister(bus, writer, clock.now);
  stops.push(() => trades.subscription.unsubscribe());
  storedOf = () => trades.stats.inserted + trades.stats.duplicates;
  const klinePersist = await startKlinePersister(bus, writer, clock.now);
  stops.push(() => klinePersist.subscription.unsubscribe());
  // The simulator's instruments: BTC-like tick and lot sizes for every symbol (only the scale is used).
  const catalog = { get: () => ({ tickSize: '0.01', lotSize: '0.00001' }) } as unknown as InstrumentCatalog;
  const klines = await startKlineService({
    bus,
    clock,
    logger,
    catalog,
    latenessMs: 2_000,
    subSecond: false,
  });
  stops.push(() => klines.stop());
  const publisher = new TradePublisher(bus, logger);
  stops.push(() => publisher.close());
  const feed: Feed = createFeed({
    adapter: createBinanceAdapter(),
    symbols: spec.symbols,
    channels: ['trades'],
    endpoints: [spec.wsBase],
    clock,
    logger,
    onTrades: (t) => {
      counters.trades += t.length;
      publisher.push(t);
    },
  });
  feed.start();
  stops.push(() => feed.stop());
  const deadline = Date.now() + 15_000;
  while (!feed.status().every((s) => s.state === 'live')) {
    if (Date.now() > deadline) throw new Error('engine feed not live within 15 s');
    await new Promise((r) => setTimeout(r, 20));
  }
  return {};
}

async function stop(): Promise<void> {
  for (const s of stops.reverse()) await s().catch(() => {});
  process.exit(0);
}

process.on('message', (m: { id: number; op: string }) => {
  if (m.op === 'stats') {
    const cpu = process.cpuUsage();
    const stats: ChildStats = {
      trades: counters.trades,
      stored: storedOf(),
      cpuMicros: cpu.user + cpu.system,
    };
    send({ id: m.id, stats });
  } else if (m.op === 'rate') {
    setRate(Number((m as { rate?: number }).rate));
    send({ id: m.id });
  } else if (m.op === 'stop') {
    void stop();
  }
});
process.on('disconnect', () => void stop());
start().then(
  (ready) => send({ id: 0, ...ready }),
  (err: unknown) => {
    send({ id: 0, error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exit(1);
  },
);
