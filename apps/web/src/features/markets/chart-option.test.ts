import { describe, expect, it } from 'vitest';
import { INITIAL_VISIBLE, latestWindow, nextZoom, showsLatest } from './chart-option';

describe('nextZoom', () => {
  it('opens on the newest candles', () => {
    expect(nextZoom(null, { length: 0, frontShift: 0 }, { length: 500, frontShift: 0 })).toEqual({
      start: 500 - INITIAL_VISIBLE,
      end: 499,
    });
  });

  it('follows new candles while the newest one is in view, keeping the width', () => {
    const z = nextZoom(
      { start: 400, end: 499 },
      { length: 500, frontShift: 0 },
      { length: 502, frontShift: 0 },
    );
    expect(z).toEqual({ start: 402, end: 501 });
  });

  it('stays on the same candles while the user looks at older ones', () => {
    const z = nextZoom(
      { start: 100, end: 200 },
      { length: 500, frontShift: 0 },
      { length: 503, frontShift: 0 },
    );
    expect(z).toEqual({ start: 100, end: 200 });
  });

  it('moves with candles prepended from an older page, so the view does not jump', () => {
    const z = nextZoom(
      { start: 0, end: 119 },
      { length: 500, frontShift: 0 },
      { length: 1000, frontShift: 500 },
    );
    expect(z).toEqual({ start: 500, end: 619 });
  });
});

describe('back to live', () => {
  it('knows when the newest candle is out of view', () => {
    expect(showsLatest({ start: 400, end: 499 }, 500)).toBe(true);
    expect(showsLatest({ start: 300, end: 420 }, 500)).toBe(false);
    expect(showsLatest(null, 500)).toBe(true);
  });

  it('jumps to the newest candles keeping the width', () => {
    expect(latestWindow({ start: 300, end: 420 }, 500)).toEqual({ start: 379, end: 499 });
    expect(latestWindow({ start: 0, end: 50 }, 30)).toEqual({ start: 0, end: 29 });
    expect(latestWindow(null, 0)).toBeNull();
  });
});
