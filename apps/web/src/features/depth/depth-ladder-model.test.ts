import { describe, expect, it } from 'vitest';
import { buildLadder, spreadAndMid } from './depth-ladder-model';

const lv = (price: string, quantity: string) => ({ price, quantity });

describe('buildLadder', () => {
  it('sums sizes exactly from the best level outwards on each side', () => {
    // 0.1 + 0.2 is 0.30000000000000004 in binary floating point: the ladder must print 0.3.
    const ladder = buildLadder(
      [lv('100', '0.1'), lv('99.5', '0.2'), lv('99', '1.05')],
      [lv('100.5', '0.3'), lv('101', '0.00000001')],
      10,
    );
    expect(ladder.bids.map((r) => r.cumulative)).toEqual(['0.1', '0.3', '1.35']);
    expect(ladder.asks.map((r) => r.cumulative)).toEqual(['0.3', '0.30000001']);
  });

  it('scales both sides to the larger total, so the deepest row of that side is a full bar', () => {
    const ladder = buildLadder([lv('10', '1'), lv('9', '3')], [lv('11', '2')], 10);
    expect(ladder.bids.map((r) => r.ratio)).toEqual([0.25, 1]);
    expect(ladder.asks.map((r) => r.ratio)).toEqual([0.5]);
  });

  it('keeps only the top rows of each side', () => {
    const ladder = buildLadder([lv('3', '1'), lv('2', '1'), lv('1', '1')], [lv('4', '1'), lv('5', '1')], 2);
    expect(ladder.bids.map((r) => r.price)).toEqual(['3', '2']);
    expect(ladder.asks.map((r) => r.price)).toEqual(['4', '5']);
    expect(ladder.bids[1]?.ratio).toBe(1);
  });

  it('has no spread or mid with a side empty', () => {
    const ladder = buildLadder([lv('3', '1')], [], 5);
    expect(ladder).toMatchObject({ spread: null, mid: null, spreadBps: null, asks: [] });
  });
});

describe('spreadAndMid', () => {
  it('halves an odd spread exactly with one more decimal', () => {
    expect(spreadAndMid('50000.1', '50000.2')).toEqual({
      spread: '0.1',
      mid: '50000.15',
      spreadBps: '0.0199',
    });
  });

  it('works across different written scales', () => {
    expect(spreadAndMid('99', '101.00')).toEqual({ spread: '2', mid: '100', spreadBps: '200.00' });
    expect(spreadAndMid('65054.21', '65054.22').spreadBps).toBe('0.0015');
  });

  it('keeps a crossed book visible as a negative spread rather than hiding it', () => {
    expect(spreadAndMid('101', '100').spread).toBe('-1');
  });
});
