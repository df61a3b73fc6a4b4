import { describe, expect, it } from 'vitest';
import { snapToTick } from './tick-snap';

describe('drag price snapping', () => {
  it('snaps to the nearest tick, kept at the tick decimals', () => {
    expect(snapToTick(63812.3456, '0.01')).toBe('63812.35');
    expect(snapToTick(63812.3449, '0.01')).toBe('63812.34');
    expect(snapToTick(63800.04, '0.1')).toBe('63800.0');
    expect(snapToTick(63812.74, '0.5')).toBe('63812.5');
    expect(snapToTick(63812.76, '0.5')).toBe('63813.0');
    expect(snapToTick(1234.6, '5')).toBe('1235');
    expect(snapToTick(0.000012345, '0.00000001')).toBe('0.00001235');
  });

  it('refuses what is not a price', () => {
    expect(snapToTick(Number.NaN, '0.01')).toBeNull();
    expect(snapToTick(-3, '0.01')).toBeNull();
    expect(snapToTick(0.001, '0.01')).toBeNull();
  });
});
