import { describe, expect, it } from 'vitest';
import { LogThrottle } from '../../src/feed/log-throttle.ts';

describe('LogThrottle', () => {
  it('lets one line per key through per period and counts the ones held back', () => {
    let now = 0;
    const t = new LogThrottle(10_000, () => now);
    expect(t.take('binance:BTC-USDT')).toBe(0);
    now = 1;
    expect(t.take('binance:BTC-USDT')).toBeNull();
    expect(t.take('binance:ETH-USDT')).toBe(0);
    now = 9_999;
    expect(t.take('binance:BTC-USDT')).toBeNull();
    now = 10_000;
    expect(t.take('binance:BTC-USDT')).toBe(2);
    now = 30_000;
    expect(t.take('binance:BTC-USDT')).toBe(0);
  });

  it('keeps a bounded map: quiet keys are swept once many keys were seen', () => {
    let now = 0;
    const t = new LogThrottle(10, () => now);
    for (let i = 0; i < 5_000; i++) {
      now = i * 20;
      expect(t.take(`k${i}`)).toBe(0);
    }
    // Re-seeing an old key after its sweep starts it fresh.
    expect(t.take('k0')).toBe(0);
  });
});
