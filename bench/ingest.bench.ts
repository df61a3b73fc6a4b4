/**
 * Ingestion end to end: simulator (another process) -> connector (createFeed) -> TradePublisher -> bus ->
 * a consumer, for the in-process bus and NATS JetStream (when NATS_URL is set), against a bare `ws`
 * client receiving the same frames in the same run.
 *
 *   NATS_URL=nats://127.0.0.1:4222 npx tsx bench/ingest.bench.ts   (BENCH_SECONDS=10 per case by default)
 *
 * Set-up: @qt/exchange-sim runs in a child process (bench/lib/sim-child.ts) with Binance, OKX and Bybit
 * and SYMBOLS.length symbols; the rate is set per scenario, split evenly over venues and symbols. One
 * feed per venue (trades only: Binance combined `/stream` `@trade`, OKX `trades`, Bybit `publicTrade`)
 * hands each frame's trades to one TradePublisher (engine defaults: 64 publishes in flight, 500,000 trades
 * buffered, 1,000 per message), which publishes `TradeBatch`es on `market.trades.<venue>.<symbol>`. The
 * consumer counts trades and records, per trade, consumer receive time minus the trade's exchange time.
 * The simulator stamps trades with microseconds of CLOCK_MONOTONIC (one clock for every process here,
 * see `monoMicros`), so that difference is the wire -> consumer latency to the microsecond: it includes
 * the simulator's own encode and write of its 5 ms tick, the socket, the connector, the publisher's
 * batching, the bus and the consumer's queue.
 *
 * Cases (interleaved in rounds; each slice opens fresh sockets, waits until every feed is live, warms
 * up, then measures, then stops and drops whatever the publisher still holds):
 *  - bare ws: one `ws` socket per venue opened with the adapter's own URL and subscribe requests, frames
 *    left as Buffers, trades counted with a native `indexOf` scan and the frame's timestamp read from
 *    its bytes (the baseline: what receiving the frames costs with no parse at all);
 *  - in-process bus: live subscriber (`subscribe`) of the engine's InProcessBus;
 *  - NATS JetStream: NatsBus (file stream, acknowledged publishes) with a live subscriber (core NATS
 *    subscription on the stream's subjects), and at the floor also a durable pull consumer
 *    (`consumeBatch`, ack after each batch) instead of the live subscriber.
 * Scenarios: the floor (50,000 trades/s offered: p99 < 2 ms required, <= 1 ms the goal) and max
 * (INGEST_MAX_RATE, default 250,000 trades/s offered). Offered = fills the simulator generates; OKX
 * `trades` frames aggregate an order's fills at one price, so fewer OKX trade records reach any client
 * (the bare client counts the same records as the feed). Throughput = trades the consumer received per
 * second of the measured window; ratio = that / the bare client's.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createBinanceAdapter,
  createBybitAdapter,
  createFeed,
  createOkxAdapter,
  type Feed,
  type VenueAdapter,
} from '@qt/market-data';
import {
  type BusMessage,
  type MessageBus,
  type PublishAck,
  type Subscription,
  type TradeBatch,
  topics,
} from '@qt/shared';
import type { Histogram } from 'hdr-histogram-js';
import { pino } from 'pino';
import { InProcessBus } from '../apps/engine/src/bus/in-process-bus.ts';
import { NatsBus } from '../apps/engine/src/bus/nats/nats-bus.ts';
import { consumerDefaults, streamSpecs } from '../apps/engine/src/bus/streams.ts';
import { TradePublisher } from '../apps/engine/src/market/ingest/trade-publisher.ts';
import {
  against,
  type BenchResult,
  benchRounds,
  benchSeconds,
  type Case,
  fmtRate,
  fmtUs,
  interleaved,
  type LoadResult,
  latencyHistogram,
  report,
  table,
  warmupFor,
} from './lib/measure.ts';
import { monoMicros, type SimChild, type SimChildStats, startSimChild } from './lib/sim-child.ts';
import { countOf, integerAfter, openRawSocket, type RawSocket } from './lib/venue-sockets.ts';

/** Bench knobs from the environment (not build inputs, so not declared to turbo). */
const setting = (name: string): string | undefined => process.env[name];
const SECONDS = benchSeconds(10);
const ROUNDS = benchRounds(2);
const FLOOR_RATE = 50_000;
const MAX_RATE = Number(setting('INGEST_MAX_RATE') ?? 250_000);
/** After the warm-up, wait up to this long for the connector to be less than SETTLED_LAG_US behind. */
const SETTLE_MS = 2_000;
const SETTLED_LAG_US = 20_000;
const SYMBOLS = ['BTC-USDT', 'ETH-USDT', 'SOL-USDT', 'XRP-USDT', 'BNB-USDT', 'DOGE-USDT'];
type VenueName = 'binance' | 'okx' | 'bybit';
const VENUES: VenueName[] = ['binance', 'okx', 'bybit'];
const adapters: Record<VenueName, () => VenueAdapter> = {
  binance: createBinanceAdapter,
  okx: createOkxAdapter,
  bybit: createBybitAdapter,
};
/** Bare client: one marker per trade record, and where the frame's exchange timestamp is. */
const marker: Record<VenueName, Buffer> = {
  binance: Buffer.from('"e":"trade"'),
  okx: Buffer.from('"tradeId":'),
  bybit: Buffer.from('"i":"'),
};
const tsKey: Record<VenueName, Buffer> = {
  binance: Buffer.from('"T":'),
  okx: Buffer.from('"ts":'),
  bybit: Buffer.from('"ts":'),
};

const logger = pino({ level: 'silent' });
const clock = { now: () => Date.now() };
const log = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Machine-wide CPU (all cores) from /proc/stat: busy and total jiffies. */
function machineCpu(): { busy: number; total: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/).slice(1).map(Number) ?? [];
  const total = f.reduce((a, b) => a + b, 0);
  const idle = (f[3] ?? 0) + (f[4] ?? 0);
  return { busy: total - idle, total };
}

interface Snapshot {
  at: number;
  sim: SimChildStats;
  selfCpu: number;
  machine: { busy: number; total: number };
  feedTrades: number;
  published: number;
  dropped: number;
  failures: number;
}

/** Per-case totals over its slices (rounds), for the notes. */
interface Totals {
  seconds: number;
  offered: number;
  feedTrades: number;
  published: number;
  dropped: number;
  failures: number;
  maxBuffered: number;
  slowConsumerDrops: number;
  reconnects: number;
  simCpu: number;
  selfCpu: number;
  machineBusy: number;
  machineTotal: number;
  /** Wire -> connector latency (pipeline cases). */
  connector: Histogram;
  /** Slices whose start-up backlog had not drained when the measurement began. */
  unsettled: number;
}

const emptyTotals = (): Totals => ({
  seconds: 0,
  offered: 0,
  feedTrades: 0,
  published: 0,
  dropped: 0,
  failures: 0,
  maxBuffered: 0,
  slowConsumerDrops: 0,
  reconnects: 0,
  simCpu: 0,
  selfCpu: 0,
  machineBusy: 0,
  machineTotal: 0,
  connector: latencyHistogram(),
  unsettled: 0,
});

const sumSent = (s: SimChildStats) => VENUES.reduce((n, v) => n + (s.tradesSent[v] ?? 0), 0);

async function snapshot(sim: SimChild, counters?: { feedTrades: number; stats: TradePublisher['stats'] }) {
  const cpu = process.cpuUsage();
  const snap: Snapshot = {
    at: performance.now(),
    sim: await sim.stats(),
    selfCpu: cpu.user + cpu.system,
    machine: machineCpu(),
    feedTrades: counters?.feedTrades ?? 0,
    published: counters?.stats.published ?? 0,
    dropped: counters?.stats.dropped ?? 0,
    failures: counters?.stats.publishFailures ?? 0,
  };
  return snap;
}

function addWindow(t: Totals, a: Snapshot, b: Snapshot): void {
  t.seconds += (b.at - a.at) / 1000;
  t.offered += sumSent(b.sim) - sumSent(a.sim);
  t.feedTrades += b.feedTrades - a.feedTrades;
  t.published += b.published - a.published;
  t.dropped += b.dropped - a.dropped;
  t.failures += b.failures - a.failures;
  t.simCpu += b.sim.cpuMicros - a.sim.cpuMicros;
  t.selfCpu += b.selfCpu - a.selfCpu;
  t.machineBusy += b.machine.busy - a.machine.busy;
  t.machineTotal += b.machine.total - a.machine.total;
}

/** The measured window of one slice: after warm-up, `seconds` long, counters snapshotted around it. */
async function window(
  sim: SimChild,
  seconds: number,
  totals: Totals,
  begin: () => void,
  end: () => void,
  counters?: { feedTrades: number; stats: TradePublisher['stats'] },
): Promise<number> {
  const a = await snapshot(sim, counters);
  const t0 = performance.now();
  begin();
  await sleep(seconds * 1000);
  end();
  const t1 = performance.now();
  const b = await snapshot(sim, counters);
  addWindow(totals, a, b);
  return (t1 - t0) / 1000;
}

function bareCase(name: string, sim: SimChild, totals: Totals): Case {
  return {
    name,
    run: async (seconds, warmupSeconds): Promise<LoadResult> => {
      const histogram = latencyHistogram();
      let measuring = false;
      let trades = 0;
      const sockets: RawSocket[] = [];
      try {
        for (const venue of VENUES) {
          const mark = marker[venue];
          const key = tsKey[venue];
          sockets.push(
            await openRawSocket(adapters[venue](), sim.urls[venue].ws, SYMBOLS, (buf) => {
              if (!measuring) return;
              const n = countOf(buf, mark);
              if (n === 0) return;
              trades += n;
              const ts = integerAfter(buf, key);
              if (Number.isFinite(ts)) histogram.recordValueWithCount(Math.max(1, monoMicros() - ts), n);
            }),
          );
        }
        await sleep(300 + warmupSeconds * 1000);
        const s = await window(
          sim,
          seconds,
          totals,
          () => {
            measuring = true;
          },
          () => {
            measuring = false;
          },
        );
        totals.feedTrades += trades;
        totals.published += trades;
        return { ops: trades, seconds: s, histogram };
      } finally {
        for (const sock of sockets) await sock.close();
      }
    },
  };
}

type Consumer = 'live' | 'durable';

/**
 * The bus as TradePublisher sees it, with a gate: once closed, publishes are answered at once without
 * being sent, so a backlog left at the end of a slice is dropped instantly instead of leaking into the
 * next slice (or taking minutes to drain).
 */
function gated(bus: MessageBus): { bus: MessageBus; close(): void } {
  let open = true;
  const dropped: PublishAck = { stream: topics.marketTrades.stream, seq: 0, duplicate: true };
  const wrapper: MessageBus = Object.create(bus, {
    publish: {
      value: (...args: Parameters<MessageBus['publish']>) =>
        open ? bus.publish(...args) : Promise.resolve(dropped),
    },
  });
  return {
    bus: wrapper,
    close: () => {
      open = false;
    },
  };
}

function pipelineCase(
  name: string,
  sim: SimChild,
  totals: Totals,
  makeBus: () => Promise<{ bus: MessageBus; dispose(): Promise<void> }>,
  consumer: Consumer,
): Case {
  let slice = 0;
  return {
    name,
    run: async (seconds, warmupSeconds): Promise<LoadResult> => {
      slice++;
      const { bus, dispose } = await makeBus();
      let histogram: Histogram = latencyHistogram();
      /** Wire -> connector (the feed's onTrades), per frame: splits the latency before and after the publisher. */
      const connector = latencyHistogram();
      let measuring = false;
      let received = 0;
      /** Wire -> connector of the latest frame: how far behind the socket the process is. */
      let lagUs = 0;
      // Trades stamped before this slice began (a straggler of an earlier one) are not counted.
      const sliceStart = monoMicros();
      const onBatch = (m: BusMessage<TradeBatch>) => {
        if (!measuring) return;
        const now = monoMicros();
        const trades = m.data.trades;
        for (let i = 0; i < trades.length; i++) {
          const t = trades[i] as TradeBatch['trades'][number];
          if (t.exchangeTime < sliceStart) continue;
          histogram.recordValue(Math.max(1, now - t.exchangeTime));
          received++;
        }
      };
      let sub: Subscription;
      if (consumer === 'live') {
        sub = await bus.subscribe(topics.marketTrades, 'market.trades.>', onBatch);
      } else {
        sub = await bus.consumeBatch(
          topics.marketTrades,
          {
            ...consumerDefaults,
            durable: `bench_ingest_${slice}_${randomBytes(3).toString('hex')}`,
            stream: topics.marketTrades.stream,
            filterSubject: 'market.trades.>',
            deliver: 'new',
          },
          { maxMessages: 256, maxWaitMs: 0 },
          (msgs) => {
            for (const m of msgs) onBatch(m);
          },
        );
      }
      const gate = gated(bus);
      const publisher = new TradePublisher(gate.bus, logger);
      const counters = { feedTrades: 0, stats: publisher.stats };
      let maxBuffered = 0;
      const feeds: Feed[] = VENUES.map((venue) =>
        createFeed({
          adapter: adapters[venue](),
          symbols: SYMBOLS,
          channels: ['trades'],
          endpoints: [sim.urls[venue].ws],
          clock,
          logger,
          onTrades: (trades) => {
            counters.feedTrades += trades.length;
            const last = trades[trades.length - 1];
            if (last) {
              lagUs = monoMicros() - last.exchangeTime;
              if (measuring) connector.recordValue(Math.max(1, lagUs));
            }
            publisher.push(trades);
          },
        }),
      );
      const sampler = setInterval(() => {
        if (measuring) maxBuffered = Math.max(maxBuffered, publisher.stats.buffered);
      }, 50);
      try {
        for (const f of feeds) f.start();
        const deadline = performance.now() + 15_000;
        while (!feeds.every((f) => f.status().every((s) => s.state === 'live'))) {
          if (performance.now() > deadline) throw new Error(`${name}: feeds not live within 15 s`);
          await sleep(20);
        }
        await sleep(warmupSeconds * 1000);
        // Start-up leaves a backlog in the socket (connects, JIT): give it up to SETTLE_MS more to drain.
        const settleEnd = performance.now() + SETTLE_MS;
        while (lagUs > SETTLED_LAG_US && performance.now() < settleEnd) await sleep(20);
        if (lagUs > SETTLED_LAG_US) totals.unsettled++;
        histogram.destroy();
        histogram = latencyHistogram();
        const s = await window(
          sim,
          seconds,
          totals,
          () => {
            measuring = true;
          },
          () => {
            measuring = false;
          },
          counters,
        );
        totals.maxBuffered = Math.max(totals.maxBuffered, maxBuffered, publisher.stats.buffered);
        totals.reconnects += feeds.reduce(
          (n, f) => n + f.status().reduce((k, st) => k + st.reconnects, 0),
          0,
        );
        totals.slowConsumerDrops += bus.health().slowConsumerDrops;
        totals.connector.add(connector);
        return { ops: received, seconds: s, histogram };
      } finally {
        connector.destroy();
        clearInterval(sampler);
        await Promise.all(feeds.map((f) => f.stop()));
        gate.close();
        await publisher.close();
        await sub.unsubscribe();
        await dispose();
      }
    },
  };
}

function notesOf(t: Totals, c: { throughput: number; histogram: Histogram }, bare: boolean): string {
  const per = (n: number) => fmtRate(n / t.seconds);
  const pct = (micros: number) => `${Math.round((micros / 1e6 / t.seconds) * 100)}%`;
  const p99 = c.histogram.getValueAtPercentile(99);
  const parts = [
    `offered ${per(t.offered)}/s (simulator fills sent)`,
    bare
      ? `received ${fmtRate(c.throughput)} trade records/s`
      : `feed ${per(t.feedTrades)}/s, published ${per(t.published)}/s, consumer ${fmtRate(c.throughput)}/s`,
  ];
  if (!bare) {
    parts.push(
      `${t.unsettled === 0 ? 'start-up backlog drained before every slice' : `start-up backlog NOT drained (connector > ${SETTLED_LAG_US / 1000} ms behind) in ${t.unsettled} slice(s)`}`,
      `dropped ${t.dropped}, publish failures ${t.failures}, max buffered ${t.maxBuffered}, slow-consumer drops ${t.slowConsumerDrops}, reconnects ${t.reconnects}`,
    );
    parts.push(
      `wire -> connector p50 ${fmtUs(t.connector.getValueAtPercentile(50))}, p99 ${fmtUs(t.connector.getValueAtPercentile(99))} (per frame)`,
    );
    parts.push(
      `wire -> consumer p99 ${p99 <= 1000 ? '<= 1 ms (goal met)' : p99 < 2000 ? '< 2 ms (floor met)' : '>= 2 ms'}`,
    );
  }
  const consumed = c.throughput * t.seconds;
  parts.push(
    `CPU per ${bare ? 'trade record' : 'consumed trade'} in this process ${(t.selfCpu / Math.max(1, consumed)).toFixed(1)} us (one core at 100% => ~${fmtRate((consumed / t.selfCpu) * 1e6)}/s)`,
  );
  parts.push(
    `CPU: this process ${pct(t.selfCpu)}, simulator ${pct(t.simCpu)}, machine ${Math.round((t.machineBusy / Math.max(1, t.machineTotal)) * 100)}% of 2 cores`,
  );
  return parts.join('; ');
}

async function main(): Promise<void> {
  const perSymbol = (total: number) => total / (VENUES.length * SYMBOLS.length);
  const sim = await startSimChild({ symbols: SYMBOLS, tradesPerSecond: perSymbol(FLOOR_RATE), seed: 7 });
  log(`simulator pid ${sim.pid}: ${VENUES.join(', ')} x ${SYMBOLS.length} symbols`);
  const url = process.env.NATS_URL;
  let nats: NatsBus | undefined;
  const results: BenchResult[] = [];
  try {
    if (url) {
      const ns = `qt_bench_ingest_${randomBytes(4).toString('hex')}`;
      const streams = streamSpecs.map((s) => ({ ...s, maxBytes: 256 * 1024 * 1024 }));
      nats = await NatsBus.connect({ url, streams, clock, logger, name: 'qt-bench-ingest', namespace: ns });
      log(`NATS JetStream: namespace ${ns}, streams capped at 256 MiB`);
    } else {
      log('NATS_URL unset: skipping the NATS JetStream cases (set NATS_URL=nats://127.0.0.1:4222)');
    }
    const natsBus = nats;
    const inProcess = async () => {
      const bus = new InProcessBus({ streams: streamSpecs, clock, logger });
      return { bus: bus as MessageBus, dispose: () => bus.close() };
    };
    const onNats = async () => ({ bus: natsBus as MessageBus, dispose: async () => {} });

    const rates = setting('INGEST_RATES')?.split(',');
    const scenarios = [
      { label: `${fmtRate(FLOOR_RATE)}/s`, rate: FLOOR_RATE, durable: true },
      { label: `${fmtRate(MAX_RATE)}/s`, rate: MAX_RATE, durable: false },
    ].filter((sc) => !rates || rates.includes(String(sc.rate)));
    for (const sc of scenarios) {
      await sim.setRate(perSymbol(sc.rate));
      await sleep(300);
      const totals = new Map<string, Totals>();
      const t = (name: string) => {
        const x = emptyTotals();
        totals.set(name, x);
        return x;
      };
      const names = {
        bare: `${sc.label} offered: bare ws`,
        inProcess: `${sc.label} offered: in-process bus, live subscriber`,
        natsLive: `${sc.label} offered: NATS JetStream, live subscriber`,
        natsDurable: `${sc.label} offered: NATS JetStream, durable consumer`,
      };
      const cases: Case[] = [
        bareCase(names.bare, sim, t(names.bare)),
        pipelineCase(names.inProcess, sim, t(names.inProcess), inProcess, 'live'),
      ];
      if (natsBus) {
        cases.push(pipelineCase(names.natsLive, sim, t(names.natsLive), onNats, 'live'));
        if (sc.durable)
          cases.push(pipelineCase(names.natsDurable, sim, t(names.natsDurable), onNats, 'durable'));
      }
      // INGEST_ONLY=<text>: only the cases whose name contains it (and the baseline), e.g. for a profile.
      const only = setting('INGEST_ONLY');
      if (only) cases.splice(1, cases.length, ...cases.slice(1).filter((c) => c.name.includes(only)));
      log(
        `\nscenario ${sc.label} offered (${fmtRate(perSymbol(sc.rate))}/s per venue per symbol): ${SECONDS} s per case in ${ROUNDS} interleaved rounds`,
      );
      const measured = await interleaved(
        cases,
        { seconds: SECONDS, rounds: ROUNDS, warmupSeconds: warmupFor(SECONDS, ROUNDS) },
        log,
      );
      const [base, ...rest] = measured;
      if (!base) throw new Error('no baseline');
      for (const c of [base, ...rest]) {
        const tot = totals.get(c.name) ?? emptyTotals();
        const r = against(c, base, 'trades/s', notesOf(tot, c, c === base));
        log(`  ${c.name}: ${r.notes}`);
        results.push(r);
        c.histogram.destroy();
      }
    }
    if (nats) {
      const info = await nats.streamInfo(streamSpecs[0]?.name ?? 'MARKET_TRADES');
      log(`\nstream MARKET_TRADES: ${info.messages} messages kept (last seq ${info.lastSeq}); deleting it`);
    }
  } finally {
    if (nats) {
      await nats.deleteStreams();
      await nats.close();
    }
    await sim.stop();
  }
  log('');
  log(table(results));
  for (const r of results)
    report({ ...r, bench: `ingest: ${r.bench}`, baseline_name: `ingest: ${r.baseline_name}` });
}

main().catch((err: unknown) => {
  process.stderr.write(
    `ingest bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
