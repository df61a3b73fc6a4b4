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
});
