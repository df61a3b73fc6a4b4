import type { FeedStatus } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { isSimulated, unreachable, venueDataState } from './feed-badges-state';

function feed(over: Partial<FeedStatus>): FeedStatus {
  return {
    venue: 'binance',
    connectionId: 'binance-1',
    state: 'live',
    endpoint: 'wss://stream.binance.com:9443/ws',
    since: 0,
    symbols: ['BTC-USDT'],
    lagMs: 12,
    messageRate: 4,
    reconnects: 0,
    gaps: 0,
    duplicates: 0,
    malformed: 0,
    lastError: null,
    source: 'venue',
    ...over,
  };
}

const offline = (venue: string) =>
  feed({
    venue,
    connectionId: `${venue}-1`,
    state: 'reconnecting',
    messageRate: 0,
    lagMs: null,
    lastError: `connect to wss://${venue}.example failed: getaddrinfo ENOTFOUND ${venue}.example`,
  });

describe('the Live dot', () => {
  it('is live only while a venue feed is live and messages arrive', () => {
    expect(venueDataState([feed({})], 'binance')).toBe('live');
    expect(venueDataState([feed({ messageRate: 0 })], 'binance')).toBe('waiting');
    expect(venueDataState([offline('binance')], 'binance')).toBe('waiting');
  });

  it('says simulated, never live, for simulator data', () => {
    expect(venueDataState([feed({ source: 'simulator' })], 'binance')).toBe('simulated');
    expect(isSimulated([feed({}), feed({ venue: 'okx', source: 'simulator' })])).toBe(true);
    expect(isSimulated([feed({})])).toBe(false);
  });

  it('is unknown before the status loads or for a venue without a feed', () => {
    expect(venueDataState(undefined, 'binance')).toBe('unknown');
    expect(venueDataState([feed({})], 'okx')).toBe('unknown');
  });
});

describe('venues unreachable', () => {
  it('is reported when every venue feed fails to connect, with the venues and the reason', () => {
    const u = unreachable([offline('binance'), offline('okx'), offline('bybit')]);
    expect(u?.venues).toEqual(['binance', 'okx', 'bybit']);
    expect(u?.reason).toMatch(/ENOTFOUND/);
  });

  it('is not reported while one venue is live, nor for simulator feeds, nor before a failure', () => {
    expect(unreachable([offline('binance'), feed({ venue: 'okx' })])).toBeNull();
    expect(unreachable([{ ...offline('binance'), source: 'simulator' }])).toBeNull();
    expect(unreachable([feed({ state: 'connecting', lastError: null, messageRate: 0 })])).toBeNull();
    expect(unreachable([])).toBeNull();
  });
});
