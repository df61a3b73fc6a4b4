import { parseAlertRule } from '@qt/alerts';
import { describe, expect, it } from 'vitest';
import { followedMarkets, MAX_STORED_FOLLOWED, marketChanged } from '../../src/alerts/followed-markets.ts';

const rule = (fields: Record<string, unknown>) =>
  parseAlertRule({ id: 'a1', tenantId: 't1', name: 'a', trigger: { mode: 'once' }, ...fields });
const price = (venue: string, symbol: string) =>
  rule({ venue, symbol, condition: { kind: 'price', op: 'above', value: '1' } });
const quality = (narrow: Record<string, string>) =>
  rule({ condition: { kind: 'dataQuality', events: ['feedStale'], ...narrow } });
const codeOf = async (p: Promise<void>): Promise<string | null> => {
  try {
    await p;
    return null;
  } catch (err) {
    return (err as { code?: string }).code ?? 'no code';
  }
};

describe('followed markets', () => {
  let list = [
    { venue: 'binance', symbol: 'BTC-USDT' },
    { venue: 'okx', symbol: 'ETH-USDT' },
  ];
  const f = followedMarkets({ source: 'live', bus: 'in-process', followed: () => list });

  it('accepts followed markets and refuses others, naming the market and what is followed', async () => {
    expect(await codeOf(f.check(price('binance', 'BTC-USDT')))).toBeNull();
    expect(await codeOf(f.check(price('binance', 'ETH-USDT')))).toBe('ALERT_MARKET_NOT_FOLLOWED');
    await expect(f.check(price('bybit', 'BTC-USDT'))).rejects.toThrow(
      'This engine does not follow bybit BTC-USDT, so the alert could never fire. Followed: binance BTC-USDT, okx ETH-USDT.',
    );
  });

  it('data-quality alerts: venue-wide on a followed venue, a symbol on any venue, or neither', async () => {
    expect(await codeOf(f.check(quality({ venue: 'okx' })))).toBeNull();
    expect(await codeOf(f.check(quality({ venue: 'bybit' })))).toBe('ALERT_MARKET_NOT_FOLLOWED');
    expect(await codeOf(f.check(quality({ symbol: 'ETH-USDT' })))).toBeNull();
    expect(await codeOf(f.check(quality({ venue: 'binance', symbol: 'ETH-USDT' })))).toBe(
      'ALERT_MARKET_NOT_FOLLOWED',
    );
    expect(await codeOf(f.check(quality({})))).toBeNull();
  });

  it('reads the followed markets at each check (markets followed at run time)', async () => {
    expect(await codeOf(f.check(price('bybit', 'SOL-USDT')))).toBe('ALERT_MARKET_NOT_FOLLOWED');
    list = [...list, { venue: 'bybit', symbol: 'SOL-USDT' }];
    expect(await codeOf(f.check(price('bybit', 'SOL-USDT')))).toBeNull();
  });

  it('MARKET_SOURCE=off: refused on the in-process bus saying so; accepted on NATS (other engines feed it)', async () => {
    const off = followedMarkets({ source: 'off', bus: 'in-process', followed: () => [] });
    await expect(off.check(price('binance', 'BTC-USDT'))).rejects.toThrow(/MARKET_SOURCE=off/);
    expect(await codeOf(off.check(quality({ venue: 'binance' })))).toBe('ALERT_MARKET_NOT_FOLLOWED');
    const shared = followedMarkets({ source: 'off', bus: 'nats', followed: () => [] });
    expect(await codeOf(shared.check(price('binance', 'BTC-USDT')))).toBeNull();
  });

  it("NATS: other engines' markets (configured symbols, stored follows) are accepted; reads are cached and bounded", async () => {
    let now = 0;
    let stored = [{ venue: 'bybit', symbol: 'SOL-USDT' }];
    const limits: number[] = [];
    const nats = followedMarkets({
      source: 'live',
      bus: 'nats',
      followed: () => [{ venue: 'binance', symbol: 'BTC-USDT' }],
      configured: ['BTC-USDT', 'ETH-USDT'],
      stored: async (limit) => {
        limits.push(limit);
        return stored;
      },
      cacheMs: 5_000,
      now: () => now,
    });
    // This engine's own market: no read at all.
    expect(await codeOf(nats.check(price('binance', 'BTC-USDT')))).toBeNull();
    expect(limits).toEqual([]);
    // A configured symbol on a venue another engine runs.
    expect(await codeOf(nats.check(price('okx', 'ETH-USDT')))).toBeNull();
    // `market.follow` on another engine: stored in followed_markets.
    expect(await codeOf(nats.check(price('bybit', 'SOL-USDT')))).toBeNull();
    expect(limits).toEqual([MAX_STORED_FOLLOWED]);
    // Nobody follows this one.
    await expect(nats.check(price('bybit', 'XRP-USDT'))).rejects.toThrow(
      /No engine on this bus follows bybit XRP-USDT/,
    );
    // Within the cache interval a new stored follow is not seen yet; after it, it is.
    stored = [...stored, { venue: 'bybit', symbol: 'XRP-USDT' }];
    expect(await codeOf(nats.check(price('bybit', 'XRP-USDT')))).toBe('ALERT_MARKET_NOT_FOLLOWED');
    expect(limits.length).toBe(1);
    now = 5_000;
    expect(await codeOf(nats.check(price('bybit', 'XRP-USDT')))).toBeNull();
    expect(limits.length).toBe(2);
    // The in-process bus has one engine: neither configured symbols elsewhere nor stored rows count.
    const single = followedMarkets({
      source: 'live',
      bus: 'in-process',
      followed: () => [],
      configured: ['ETH-USDT'],
      stored: async () => stored,
    });
    expect(await codeOf(single.check(price('okx', 'ETH-USDT')))).toBe('ALERT_MARKET_NOT_FOLLOWED');
  });
});

describe('marketChanged', () => {
  it('sees a changed venue, symbol or condition, whatever the stored key order; not a rename', () => {
    const r = price('binance', 'BTC-USDT');
    // As jsonb gives it back: keys reordered.
    const stored = {
      symbol: 'BTC-USDT',
      venue: 'binance',
      condition: { value: '1', op: 'above', kind: 'price' },
    };
    expect(marketChanged(stored, r)).toBe(false);
    expect(marketChanged({ ...stored, symbol: 'ETH-USDT' }, r)).toBe(true);
    expect(marketChanged({ ...stored, condition: { ...stored.condition, value: '2' } }, r)).toBe(true);
  });
});
