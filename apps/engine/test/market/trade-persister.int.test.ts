import { randomBytes } from 'node:crypto';
import { createPgPool, MarketDataWriter } from '@qt/db';
import { createTestDatabase, type TestDatabase } from '@qt/db/testing';
import { liveClock, type MessageBus, subjects, type Trade, topics } from '@qt/shared';
import type pg from 'pg';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InProcessBus } from '../../src/bus/in-process-bus.ts';
import { NatsBus } from '../../src/bus/nats/nats-bus.ts';
import { streamSpecs } from '../../src/bus/streams.ts';
import { startTradePersister, tradeWriterConsumer } from '../../src/market/persist/trade-persister.ts';
import { waitFor } from '../bus/bus-contract.ts';

const logger = pino({ level: 'silent' });
const small = streamSpecs.map((s) => ({ ...s, maxBytes: 32 * 1024 * 1024 }));

// A trade's identity includes its exchange time: a re-sent trade carries the same one.
const t0 = Date.now() - 60_000;

function trades(symbol: string, from: number, n: number): Trade[] {
  return Array.from({ length: n }, (_, i) => ({
    venue: 'binance',
    symbol,
    venueSymbol: symbol.replace('-', ''),
    tradeId: String(from + i),
    price: `100.${String(from + i).padStart(2, '0')}`,
    quantity: '0.5',
    takerSide: i % 2 ? 'buy' : 'sell',
    exchangeTime: t0 + from + i,
    receiveTime: t0 + from + i + 5,
  }));
}

const buses: Array<[string, () => Promise<{ bus: MessageBus; close(): Promise<void> }>]> = [
  [
    'in-process',
    async () => {
      const bus = new InProcessBus({ streams: streamSpecs, clock: liveClock, logger });
      return { bus, close: () => bus.close() };
    },
  ],
];
if (process.env.NATS_URL) {
  buses.push([
    'nats',
    async () => {
      const ns = `qt_t_${randomBytes(4).toString('hex')}`;
      const bus = await NatsBus.connect({
        url: process.env.NATS_URL as string,
        streams: small,
        clock: liveClock,
        logger,
        name: 'persist-test',
        namespace: ns,
      });
      return {
        bus,
        close: async () => {
          await bus.deleteStreams();
          await bus.close();
        },
      };
    },
  ]);
}

/** Acknowledged only after commit; redelivery and retries add nothing twice. */
describe.each(buses)('trade persistence on the %s bus', (_name, makeBus) => {
  let db: TestDatabase;
  let pool: pg.Pool;
  beforeAll(async () => {
    db = await createTestDatabase();
    pool = createPgPool(db.url, { max: 4 });
  });
  afterAll(async () => {
    await pool?.end();
    await db?.drop();
  });
  const count = async (symbol: string) =>
    Number(
      (await pool.query('SELECT count(*) FROM market_trades WHERE symbol = $1', [symbol])).rows[0].count,
    );

  it('stores each trade once when a batch is redelivered after its commit (crash before the ack)', async () => {
    const { bus, close } = await makeBus();
    const real = new MarketDataWriter(pool);
    let crashes = 0;
    // Commits, then "dies" before the ack: the bus redelivers the same messages.
    const writer = {
      writeTrades: async (batch: readonly Trade[]) => {
        const r = await real.writeTrades(batch);
        if (crashes < 2) {
          crashes++;
          throw new Error('killed after commit');
        }
        return r;
      },
    };
    const symbol = 'AAA-USDT';
    const { subscription } = await startTradePersister(bus, writer, () => Date.now(), {
      ...tradeWriterConsumer,
      durable: `w-${randomBytes(3).toString('hex')}`,
      ackWaitMs: 2_000,
    });
    for (let i = 0; i < 10; i++) {
      await bus.publish(topics.marketTrades, subjects.marketTrades('binance', symbol), {
        venue: 'binance',
        symbol,
        trades: trades(symbol, i * 50, 50),
      });
    }
    // Wait for the rows asserted on, not for the persister's counters: a batch handled twice (an ack
    // wait that expired on a loaded machine) adds to the counters while another batch is still unstored.
    await waitFor(async () => crashes === 2 && (await count(symbol)) >= 500, 20_000, 'all trades stored');
    expect(await count(symbol)).toBe(500);
    await subscription.unsubscribe();
    await close();
  });

  it('a consumer killed mid-stream and restarted under the same durable name loses nothing and repeats nothing', async () => {
    const { bus, close } = await makeBus();
    const writer = new MarketDataWriter(pool);
    const symbol = 'BBB-USDT';
    const spec = { ...tradeWriterConsumer, durable: `w-${randomBytes(3).toString('hex')}`, ackWaitMs: 1_000 };
    const first = await startTradePersister(bus, writer, () => Date.now(), spec);
    const publish = async (from: number) =>
      bus.publish(topics.marketTrades, subjects.marketTrades('binance', symbol), {
        venue: 'binance',
        symbol,
        trades: trades(symbol, from, 20),
      });
    for (let i = 0; i < 10; i++) await publish(i * 20);
    await first.subscription.unsubscribe(); // the process dies
    for (let i = 10; i < 20; i++) await publish(i * 20); // published while no consumer runs
    // The same batch published twice under different msgIds (e.g. two ingest instances): stored once.
    await publish(0);
    const second = await startTradePersister(bus, writer, () => Date.now(), spec);
    // The unique key makes more than 400 rows impossible: waiting for exactly 400 is the whole check.
    await waitFor(async () => (await count(symbol)) === 400, 20_000, 'every trade stored');
    await second.subscription.unsubscribe();
    await close();
  });
});
