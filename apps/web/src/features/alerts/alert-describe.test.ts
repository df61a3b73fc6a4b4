import { describe, expect, it } from 'vitest';
import { describeCondition, describeDelivery, describeTrigger } from './alert-describe';

describe('alerts in words', () => {
  it('describes conditions and triggers', () => {
    expect(describeCondition({ kind: 'price', op: 'crossesUp', value: '65000.50' })).toBe(
      'Price crosses up 65,000.50',
    );
    expect(describeCondition({ kind: 'rsi', interval: '1m', period: 14, op: 'above', value: 70 })).toBe(
      'RSI(14, 1m) is above 70',
    );
    expect(
      describeCondition({
        kind: 'any',
        conditions: [
          { kind: 'price', op: 'below', value: '1' },
          { kind: 'emaCross', interval: '5m', fast: 9, slow: 21, op: 'crosses' },
        ],
      }),
    ).toBe('any of: Price is below 1; EMA(9) crosses EMA(21) on 5m');
    expect(describeTrigger({ mode: 'every', cooldownMs: 60_000 })).toBe('Every time, at most once per 60 s');
    expect(describeTrigger({ mode: 'oncePerBarClose', interval: '1h' })).toBe('Once per bar close (1h)');
  });

  it('says where a delivery stands', () => {
    expect(
      describeDelivery({ channelId: 'webhook', status: 'sent', attempts: 1, lastError: null, reason: null }),
    ).toBe('webhook sent');
    expect(
      describeDelivery({
        channelId: 'webhook',
        status: 'dead',
        attempts: 8,
        lastError: 'HTTP 503',
        reason: null,
      }),
    ).toBe('webhook dead after 8 attempts: HTTP 503');
  });
});
