import { BusError, type MessageBus, type PublishAck, type Trade } from '@qt/shared';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { TradePublisher } from '../../src/market/ingest/trade-publisher.ts';

const logger = pino({ level: 'silent' });

function trade(symbol: string, id: number): Trade {
  return {
    venue: 'binance',
    symbol,
    venueSymbol: symbol.replace('-', ''),
    tradeId: String(id),
    price: '1.5',
    quantity: '2',
    takerSide: 'buy',
    exchangeTime: 1_000 + id,
    receiveTime: 1_001 + id,
  };
}

/** A bus that records publishes and fails while `down` is set. */
function fakeBus() {
  const published: Array<{ subject: string; ids: string[]; msgId: string | undefined }> = [];
  const state = { down: false, calls: 0 };
  const bus = {
    kind: 'in-process',
    async publish(
      _topic: unknown,
      subject: string,
      data: { trades: Trade[] },
      opts?: { msgId?: string },
    ): Promise<PublishAck> {
      state.calls++;
      if (state.down) throw new BusError('BUS_PUBLISH_FAILED', 'down');
      published.push({ subject, ids: data.trades.map((t) => t.tradeId), msgId: opts?.msgId });
      return { stream: 'MARKET_TRADES', seq: published.length, duplicate: false };
    },
  } as unknown as MessageBus;
  return { bus, published, state };
}

describe('TradePublisher', () => {
  it('sends the trades of one symbol that arrive in one event-loop turn as one message, with a msgId of their ids', async () => {
    const { bus, published } = fakeBus();
    const p = new TradePublisher(bus, logger);
    p.push([trade('BTC-USDT', 1), trade('BTC-USDT', 2)]);
    p.push([trade('ETH-USDT', 7)]);
    p.push([trade('BTC-USDT', 3)]);
    await p.flush();
    expect(published).toEqual([
      { subject: 'market.trades.binance.BTC-USDT', ids: ['1', '2', '3'], msgId: 'binance:BTC-USDT:1-3' },
      { subject: 'market.trades.binance.ETH-USDT', ids: ['7'], msgId: 'binance:ETH-USDT:7-7' },
    ]);
    expect(p.stats.published).toBe(4);
  });

  it('buffers while the bus is down, retries in order, and drops the oldest past its bound (counted)', async () => {
    const { bus, published, state } = fakeBus();
    const p = new TradePublisher(bus, logger, { maxInFlight: 4, maxBuffered: 5, maxBatch: 1 });
    state.down = true;
    for (let i = 1; i <= 8; i++) p.push([trade('BTC-USDT', i)]);
    await new Promise((r) => setTimeout(r, 30));
    expect(p.stats.dropped).toBeGreaterThan(0);
    state.down = false;
    await p.flush(10_000);
    const ids = published.flatMap((x) => x.ids);
    expect(ids.length + p.stats.dropped).toBe(8);
    expect(ids.length).toBeLessThanOrEqual(5);
    expect(ids.at(-1)).toBe('8'); // the newest survive
  });

  it('does not spin when the bus dies under in-flight publishes at shutdown', async () => {
    const { bus, state } = fakeBus();
    const p = new TradePublisher(bus, logger, { maxInFlight: 2, maxBuffered: 1_000, maxBatch: 1 });
    state.down = true;
    for (let i = 1; i <= 10; i++) p.push([trade('BTC-USDT', i)]);
    await p.close(100);
    const calls = state.calls;
    await new Promise((r) => setTimeout(r, 50));
    expect(state.calls).toBe(calls);
    expect(p.stats.dropped).toBe(10);
  });

  it("while the publish window is full, merges a symbol's later turns into its queued batch (fewer, larger messages)", async () => {
    const sent: Array<{ ids: string[]; msgId: string | undefined; release: () => void }> = [];
    const bus = {
      kind: 'in-process',
      publish: (_t: unknown, _s: string, data: { trades: Trade[] }, opts?: { msgId?: string }) =>
        new Promise<PublishAck>((resolve) => {
          const ids = data.trades.map((t) => t.tradeId);
          sent.push({
            ids,
            msgId: opts?.msgId,
            release: () => resolve({ stream: 'MARKET_TRADES', seq: sent.length, duplicate: false }),
          });
        }),
    } as unknown as MessageBus;
    const p = new TradePublisher(bus, logger, { maxInFlight: 1, maxBuffered: 1_000, maxBatch: 3 });
    const turn = () => new Promise((r) => setImmediate(r));
    p.push([trade('BTC-USDT', 1)]);
    await turn();
    // The window (1) is taken by trade 1: the next five turns queue up behind it.
    for (let id = 2; id <= 6; id++) {
      p.push([trade('BTC-USDT', id)]);
      if (id === 4) p.push([trade('ETH-USDT', 40)]);
      await turn();
    }
    expect(sent.map((x) => x.ids)).toEqual([['1']]);
    for (let i = 0; i < 4; i++) {
      sent[i]?.release();
      await turn();
      await turn();
    }
    await p.flush();
    expect(sent.map((x) => x.msgId)).toEqual([
      'binance:BTC-USDT:1-1',
      'binance:BTC-USDT:2-4',
      'binance:ETH-USDT:40-40',
      'binance:BTC-USDT:5-6',
    ]);
    expect(p.stats.published).toBe(7);
  });

  it('retries a failed batch as it was (same trades, same msgId), never grown by later trades', async () => {
    const { bus, published, state } = fakeBus();
    const p = new TradePublisher(bus, logger, { maxInFlight: 1, maxBuffered: 1_000, maxBatch: 10 });
    state.down = true;
    p.push([trade('BTC-USDT', 1), trade('BTC-USDT', 2)]);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    p.push([trade('BTC-USDT', 3)]);
    await new Promise((r) => setImmediate(r));
    state.down = false;
    await p.flush(10_000);
    expect(published.map((x) => x.msgId)).toEqual(['binance:BTC-USDT:1-2', 'binance:BTC-USDT:3-3']);
  });
});
