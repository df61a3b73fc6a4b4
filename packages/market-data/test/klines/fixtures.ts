import type { Kline, Trade } from '@qt/shared';
import type { KlineSink } from '../../src/klines/index.ts';

let seq = 0;

/** A normalised trade; each call gets the next trade id unless one is given. */
export function trade(t: number, price: string, quantity: string, extra: Partial<Trade> = {}): Trade {
  seq += 1;
  return {
    venue: 'binance',
    symbol: 'BTC-USDT',
    venueSymbol: 'BTCUSDT',
    tradeId: String(seq),
    price,
    quantity,
    takerSide: 'buy',
    exchangeTime: t,
    receiveTime: t + 5,
    ...extra,
  };
}

export interface Emitted {
  kind: 'updated' | 'closed';
  kline: Kline;
  revision: number;
}

/** A sink that records what it is given, in order. */
export class RecordingSink implements KlineSink {
  readonly events: Emitted[] = [];

  klineUpdated(kline: Kline): void {
    this.events.push({ kind: 'updated', kline, revision: -1 });
  }

  klineClosed(kline: Kline, revision: number): void {
    this.events.push({ kind: 'closed', kline, revision });
  }

  closed(interval?: string): Kline[] {
    return this.events
      .filter((e) => e.kind === 'closed' && (!interval || e.kline.interval === interval))
      .map((e) => e.kline);
  }

  updated(interval?: string): Kline[] {
    return this.events
      .filter((e) => e.kind === 'updated' && (!interval || e.kline.interval === interval))
      .map((e) => e.kline);
  }

  /** The last closed version (highest revision) of each candle, keyed like storage would. */
  finalClosed(): Map<string, Kline> {
    const out = new Map<string, Kline>();
    for (const e of this.events) {
      if (e.kind !== 'closed') continue;
      const k = e.kline;
      out.set(`${k.venue}|${k.symbol}|${k.interval}|${k.openTime}`, k);
    }
    return out;
  }

  clear(): void {
    this.events.length = 0;
  }
}
