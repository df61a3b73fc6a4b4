import { describe, expect, it } from 'vitest';
import { endedReasonText, statsMarketText, trackRecordUntil } from './track-record-model';

describe('statsMarketText', () => {
  it('names the instrument and interval the figures came from', () => {
    expect(
      statsMarketText({ statsInstrument: { venue: 'binance', symbol: 'BTC-USDT' }, statsInterval: '1m' }),
    ).toBe('binance:BTC-USDT · 1m');
    expect(statsMarketText({ statsInstrument: { venue: 'kraken', symbol: 'ETH-USD' } })).toBe(
      'kraken:ETH-USD',
    );
  });
  it('is null when the engine did not say', () => {
    expect(statsMarketText({})).toBeNull();
    expect(statsMarketText({ statsInstrument: null, statsInterval: '1h' })).toBeNull();
  });
});

describe('forward record end', () => {
  const equity: [number, number][] = [
    [1_000, 100],
    [2_000, 101],
  ];
  it('ends at the last sample once stopped, with the engine’s reason', () => {
    expect(trackRecordUntil({ running: false, equity })).toBe(2_000);
    expect(endedReasonText({ running: false, endedReason: ' subscription ended ' })).toBe(
      'subscription ended',
    );
  });
  it('has no end while running or before any sample', () => {
    expect(trackRecordUntil({ running: true, equity })).toBeNull();
    expect(trackRecordUntil({ running: false, equity: [] })).toBeNull();
    expect(endedReasonText({ running: true, endedReason: 'x' })).toBeNull();
  });
  it('says it stopped when the engine gave no reason', () => {
    expect(endedReasonText({ running: false, endedReason: null })).toMatch(/stopped/);
    expect(endedReasonText({ running: false })).toMatch(/stopped/);
  });
});
