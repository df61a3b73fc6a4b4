import { BusError, type Kline, type MessageBus } from '@qt/shared';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { KlinePublisher } from '../../src/market/aggregate/kline-publisher.ts';

const kline = (openTime: number, closed: boolean, tradeCount = 1): Kline => ({
  venue: 'binance',
  symbol: 'BTC-USDT',
  interval: '1s',
  openTime,
  closeTime: openTime + 999,
  open: '1',
  high: '1',
  low: '1',
  close: '1',
  baseVolume: '1',
  quoteVolume: '1',
  takerBuyBaseVolume: '0',
  tradeCount,
  closed,
});

it('coalesces updates, keeps closes, backs off while the bus fails and stops for good when closed', async () => {
  let calls = 0;
  let down = false;
  const sent: string[] = [];
  const bus = {
    async publish(_t: unknown, _s: string, _k: Kline, opts?: { msgId?: string }) {
      calls++;
      if (down) throw new BusError('BUS_CLOSED', 'the bus is closed');
      sent.push(opts?.msgId ?? '');
      return { stream: 'MARKET_KLINES', seq: calls, duplicate: false };
    },
  } as unknown as MessageBus;
  const p = new KlinePublisher(bus, pino({ level: 'silent' }), 1);
  p.updated(kline(0, false, 1));
  p.updated(kline(0, false, 2)); // supersedes the first while it waits
  p.closed(kline(0, true, 3), 0);
  await new Promise((r) => setTimeout(r, 20));
  expect(sent.every((id) => id.startsWith('binance:BTC-USDT:1s:0:'))).toBe(true);
  expect(sent.at(-1)).toBe('binance:BTC-USDT:1s:0:c0');

  down = true;
  p.closed(kline(1000, true), 0);
  await new Promise((r) => setTimeout(r, 100));
  expect(calls).toBeLessThan(sent.length + 5); // no busy retry loop
  p.close();
  const after = calls;
  await new Promise((r) => setTimeout(r, 400));
  expect(calls).toBe(after);
});
