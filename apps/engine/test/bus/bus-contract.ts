import { randomBytes } from 'node:crypto';
import {
  type BusMessage,
  type ConsumerSpec,
  type MessageBus,
  streamNames,
  subjects,
  type Trade,
  type TradeBatch,
  topics,
} from '@qt/shared';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

export interface BusUnderTest {
  bus: MessageBus;
  /** Removes what the bus left behind (NATS streams). */
  cleanup(): Promise<void>;
}

let n = 0;
export function trade(symbol = 'BTC-USDT', venue = 'binance', overrides: Partial<Trade> = {}): Trade {
  n += 1;
  return {
    venue,
    symbol,
    venueSymbol: symbol.replace('-', ''),
    tradeId: String(n),
    price: '64000.12',
    quantity: '0.015',
    takerSide: 'buy',
    exchangeTime: 1_700_000_000_000 + n,
    receiveTime: 1_700_000_000_001 + n,
    ...overrides,
  };
}

/** A bus message carries the trades of one symbol that arrived together; tests send one each. */
export function batch(t: Trade): TradeBatch {
  return { venue: t.venue, symbol: t.symbol, trades: [t] };
}

export function tradeIdOf(m: { data: TradeBatch }): string {
  return (m.data.trades[0] as Trade).tradeId;
}

export async function waitFor(
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const settle = (ms = 150) => new Promise((r) => setTimeout(r, ms));

function durable(overrides: Partial<ConsumerSpec> = {}): ConsumerSpec {
  return {
    durable: `test-${randomBytes(3).toString('hex')}`,
    stream: streamNames.marketTrades,
    filterSubject: 'market.trades.>',
    deliver: 'all',
    ackWaitMs: 5_000,
    maxDeliver: 3,
    maxAckPending: 100,
    ...overrides,
  };
}

/**
 * What every MessageBus must do, run against the in-process bus (unit) and NATS JetStream (int), so
 * the two cannot drift apart.
 */
export function busContract(name: string, make: () => Promise<BusUnderTest>): void {
  describe(`${name}: MessageBus contract`, () => {
    let t: BusUnderTest;
    let bus: MessageBus;
    beforeEach(async () => {
      t = await make();
      bus = t.bus;
    });
    afterEach(async () => {
      await t.cleanup();
    });

    it('delivers a published message to live subscribers whose pattern matches, validated', async () => {
      const all: BusMessage<TradeBatch>[] = [];
      const binance: string[] = [];
      const btc: string[] = [];
      await bus.subscribe(topics.marketTrades, 'market.trades.>', (m) => void all.push(m));
      await bus.subscribe(
        topics.marketTrades,
        'market.trades.binance.*',
        (m) => void binance.push(m.subject),
      );
      await bus.subscribe(topics.marketTrades, 'market.trades.*.BTC-USDT', (m) => void btc.push(m.subject));
      const a = trade('BTC-USDT', 'binance');
      const b = trade('ETH-USDT', 'okx');
      await bus.publish(topics.marketTrades, subjects.marketTrades('binance', 'BTC-USDT'), batch(a), {
        msgId: 'm-a',
      });
      await bus.publish(topics.marketTrades, subjects.marketTrades('okx', 'ETH-USDT'), batch(b));
      await waitFor(() => all.length === 2, 5_000, 'two messages');
      await settle();
      expect(all.map((m) => m.data.trades[0])).toEqual([a, b]);
      expect(all[0]?.msgId).toBe('m-a');
      expect(all[0]?.subject).toBe('market.trades.binance.BTC-USDT');
      expect(all[0]?.timestamp).toBeGreaterThan(0);
      expect(binance).toEqual(['market.trades.binance.BTC-USDT']);
      expect(btc).toEqual(['market.trades.binance.BTC-USDT']);
    });

    it('stores a message once per msgId inside the duplicate window', async () => {
      const got: string[] = [];
      await bus.subscribe(topics.marketTrades, 'market.trades.>', (m) => void got.push(tradeIdOf(m)));
      const x = trade();
      const subject = subjects.marketTrades(x.venue, x.symbol);
      const first = await bus.publish(topics.marketTrades, subject, batch(x), {
        msgId: `binance:BTC-USDT:${x.tradeId}`,
      });
      const again = await bus.publish(topics.marketTrades, subject, batch(x), {
        msgId: `binance:BTC-USDT:${x.tradeId}`,
      });
      expect(first.duplicate).toBe(false);
      expect(again).toEqual({ stream: streamNames.marketTrades, seq: first.seq, duplicate: true });
      const seen: string[] = [];
      await bus.consume(topics.marketTrades, durable(), (m) => void seen.push(tradeIdOf(m)));
      await waitFor(() => seen.length === 1, 5_000, 'durable delivery');
      await settle();
      expect(seen).toEqual([x.tradeId]);
    });

    it('refuses subjects and patterns that are malformed or outside the topic', async () => {
      const x = trade();
      await expect(
        bus.publish(topics.marketTrades, 'market.trades.binance.*', batch(x)),
      ).rejects.toMatchObject({
        code: 'BUS_SUBJECT_INVALID',
      });
      await expect(
        bus.publish(topics.marketTrades, 'market.klines.binance.BTC-USDT.1m', batch(x)),
      ).rejects.toMatchObject({ code: 'BUS_SUBJECT_INVALID' });
      await expect(
        bus.publish(topics.marketTrades, 'market.trades.bin ance.BTC', batch(x)),
      ).rejects.toMatchObject({
        code: 'BUS_SUBJECT_INVALID',
      });
      await expect(bus.subscribe(topics.marketTrades, '>', () => {})).rejects.toMatchObject({
        code: 'BUS_SUBJECT_INVALID',
      });
      await expect(
        bus.subscribe(topics.marketTrades, 'market.*.binance.BTC-USDT', () => {}),
      ).rejects.toMatchObject({ code: 'BUS_SUBJECT_INVALID' });
      expect(() => subjects.marketTrades('binance', 'BTC.USDT')).toThrow(/invalid subject token/);
      expect(() => subjects.marketTrades('binance', '*')).toThrow(/invalid subject token/);
    });

    it('drops a message that fails its topic schema, counts it, and keeps delivering', async () => {
      const got: string[] = [];
      await bus.subscribe(topics.marketTrades, 'market.trades.>', (m) => void got.push(tradeIdOf(m)));
      const before = bus.health().rejected;
      // A float price must never cross the bus: prices are decimal strings.
      const bad = { ...trade(), price: 64000.12 } as unknown as Trade;
      await bus.publish(topics.marketTrades, subjects.marketTrades('binance', 'BTC-USDT'), batch(bad));
      const good = trade();
      await bus.publish(topics.marketTrades, subjects.marketTrades('binance', 'BTC-USDT'), batch(good));
      await waitFor(() => got.length === 1, 5_000, 'the good message');
      await settle();
      expect(got).toEqual([good.tradeId]);
      expect(bus.health().rejected).toBe(before + 1);
    });

    it('refuses a message larger than the stream allows', async () => {
      const huge = trade('BTC-USDT', 'binance', { venueSymbol: 'X'.repeat(2 * 1024 * 1024) });
      await expect(
        bus.publish(topics.marketTrades, subjects.marketTrades('binance', 'BTC-USDT'), batch(huge)),
      ).rejects.toMatchObject({
        code: 'BUS_MESSAGE_TOO_LARGE',
      });
    });

    it('durable consumer: replays from the start in order, acks after the handler, keeps its position', async () => {
      const spec = durable({ filterSubject: 'market.trades.binance.>' });
      const sent: Trade[] = [];
      for (let i = 0; i < 5; i++) {
        const x = trade(i % 2 ? 'ETH-USDT' : 'BTC-USDT');
        sent.push(x);
        await bus.publish(topics.marketTrades, subjects.marketTrades(x.venue, x.symbol), batch(x));
      }
      await bus.publish(
        topics.marketTrades,
        subjects.marketTrades('okx', 'BTC-USDT'),
        batch(trade('BTC-USDT', 'okx')),
      );
      const got: BusMessage<TradeBatch>[] = [];
      const sub = await bus.consume(topics.marketTrades, spec, (m) => void got.push(m));
      await waitFor(() => got.length === 5, 5_000, 'five messages');
      await settle();
      expect(got.map((m) => m.data.trades[0])).toEqual(sent);
      expect(got.map((m) => m.seq)).toEqual([...got.map((m) => m.seq)].sort((a, b) => a - b));
      expect(got.every((m) => m.deliveryCount === 1 && m.seq > 0)).toBe(true);
      await sub.unsubscribe();

      const later = [trade(), trade()];
      for (const x of later)
        await bus.publish(topics.marketTrades, subjects.marketTrades(x.venue, x.symbol), batch(x));
      const resumed: Trade[] = [];
      const sub2 = await bus.consume(
        topics.marketTrades,
        spec,
        (m) => void resumed.push(m.data.trades[0] as Trade),
      );
      await waitFor(() => resumed.length === 2, 5_000, 'the two new messages');
      await settle();
      expect(resumed).toEqual(later);
      await sub2.unsubscribe();
    });

    it('durable consumer: a failing handler gets the message again, then it is given up after maxDeliver', async () => {
      const spec = durable({ maxDeliver: 3, ackWaitMs: 1_000 });
      const attempts = new Map<string, number[]>();
      const done: string[] = [];
      await bus.consume(topics.marketTrades, spec, (m) => {
        const list = attempts.get(tradeIdOf(m)) ?? [];
        list.push(m.deliveryCount);
        attempts.set(tradeIdOf(m), list);
        if ((m.data.trades[0] as Trade).quantity === '13') throw new Error('poison');
        if (list.length === 1 && (m.data.trades[0] as Trade).quantity === '2') throw new Error('transient');
        done.push(tradeIdOf(m));
      });
      const before = bus.health().rejected;
      const flaky = trade('BTC-USDT', 'binance', { quantity: '2' });
      const poison = trade('BTC-USDT', 'binance', { quantity: '13' });
      const fine = trade();
      for (const x of [flaky, poison, fine])
        await bus.publish(topics.marketTrades, subjects.marketTrades(x.venue, x.symbol), batch(x));
      await waitFor(
        () => done.length === 2 && (attempts.get(poison.tradeId)?.length ?? 0) === 3,
        10_000,
        'redeliveries',
      );
      await settle(600);
      expect(attempts.get(flaky.tradeId)).toEqual([1, 2]);
      expect(attempts.get(poison.tradeId)).toEqual([1, 2, 3]);
      expect(done.sort()).toEqual([flaky.tradeId, fine.tradeId].sort());
      expect(bus.health().rejected).toBe(before + 1);
    });

    it('durable consumer: subscribers of one durable share the work, each message handled once', async () => {
      const spec = durable();
      const byWorker: [string[], string[]] = [[], []];
      const slow = (i: 0 | 1) => async (m: BusMessage<TradeBatch>) => {
        byWorker[i].push(tradeIdOf(m));
        await new Promise((r) => setTimeout(r, 2));
      };
      await bus.consume(topics.marketTrades, spec, slow(0));
      await bus.consume(topics.marketTrades, spec, slow(1));
      const ids: string[] = [];
      for (let i = 0; i < 60; i++) {
        const x = trade();
        ids.push(x.tradeId);
        await bus.publish(topics.marketTrades, subjects.marketTrades(x.venue, x.symbol), batch(x));
      }
      await waitFor(() => byWorker[0].length + byWorker[1].length >= 60, 10_000, 'all messages');
      await settle(300);
      expect([...byWorker[0], ...byWorker[1]].sort()).toEqual([...ids].sort());
    });

    it('batch consumer: hands over batches, acks after the handler, redelivers the whole batch on failure', async () => {
      const spec = durable({ maxDeliver: -1, ackWaitMs: 2_000, maxAckPending: 500 });
      const ids: string[] = [];
      for (let i = 0; i < 250; i++) {
        const x = trade();
        ids.push(x.tradeId);
        await bus.publish(topics.marketTrades, subjects.marketTrades(x.venue, x.symbol), batch(x));
      }
      const sizes: number[] = [];
      const committed: string[] = [];
      let failures = 0;
      await bus.consumeBatch(topics.marketTrades, spec, { maxMessages: 100, maxWaitMs: 50 }, async (msgs) => {
        sizes.push(msgs.length);
        // The first three attempts fail, as a database outage would; retries never give up (maxDeliver -1).
        if (failures < 3) {
          failures++;
          throw new Error('database unavailable');
        }
        for (const m of msgs) committed.push(tradeIdOf(m));
      });
      await waitFor(() => new Set(committed).size === 250, 15_000, 'every message committed');
      await settle(300);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
      expect(sizes.some((n) => n > 1)).toBe(true);
      expect([...new Set(committed)].sort()).toEqual([...ids].sort());
      expect(committed.length).toBe(250); // acked after success: nothing committed twice
    });

    it('refuses to publish after close', async () => {
      await bus.close();
      await expect(
        bus.publish(topics.marketTrades, subjects.marketTrades('binance', 'BTC-USDT'), batch(trade())),
      ).rejects.toMatchObject({
        code: 'BUS_CLOSED',
      });
      expect(bus.health().connected).toBe(false);
    });
  });
}
