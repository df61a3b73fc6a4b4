import { describe, expect, it } from 'vitest';
import { depthCurves } from './depth-chart-model';

describe('depthCurves', () => {
  it('accumulates each side from its best level outwards', () => {
    const c = depthCurves(
      [
        { price: '100', quantity: '0.1' },
        { price: '99', quantity: '0.2' },
      ],
      [
        { price: '101', quantity: '2' },
        { price: '102.5', quantity: '0.5' },
      ],
    );
    // 0.1 + 0.2 summed on units: exactly 0.3 at the second bid, not 0.30000000000000004.
    expect(c.bids).toEqual([
      [100, 0.1],
      [99, 0.3],
    ]);
    expect(c.asks).toEqual([
      [101, 2],
      [102.5, 2.5],
    ]);
  });

  it('draws nothing for an empty side', () => {
    expect(depthCurves([], [])).toEqual({ bids: [], asks: [] });
  });
});
