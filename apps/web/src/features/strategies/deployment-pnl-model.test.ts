import { describe, expect, it } from 'vitest';
import { curvePath, signOf } from './deployment-pnl-model';

describe('deployment PnL display', () => {
  it('reads signs exactly', () => {
    expect([
      signOf('12.5'),
      signOf('-0.000000000000000001'),
      signOf('0'),
      signOf('-0'),
      signOf(null),
    ]).toEqual([1, -1, 0, 0, 0]);
  });
  it('draws the curve in its box with the zero line', () => {
    const path = curvePath(
      [
        { time: 0, pnl: '-10' },
        { time: 50, pnl: '0' },
        { time: 100, pnl: '30' },
      ],
      100,
      40,
    );
    expect(path).toEqual({ points: '0.0,40.0 50.0,30.0 100.0,0.0', zeroY: 30 });
    expect(curvePath([], 100, 40)).toBeNull();
  });
});
