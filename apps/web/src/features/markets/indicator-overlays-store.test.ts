import { describe, expect, it } from 'vitest';
import { parseStoredOverlays } from './indicator-overlays-store';

describe('parseStoredOverlays', () => {
  it('reads overlays saved by the chart', () => {
    const saved = [{ id: 'a', kind: 'sma', params: { period: 20 }, color: '#fbbf24' }];
    expect(parseStoredOverlays(JSON.stringify(saved))).toEqual(saved);
  });

  it('ignores anything else: nothing, broken JSON, unknown kinds, script in a colour', () => {
    expect(parseStoredOverlays(null)).toEqual([]);
    expect(parseStoredOverlays('{not json')).toEqual([]);
    expect(
      parseStoredOverlays(JSON.stringify([{ id: 'a', kind: 'ichimoku', params: {}, color: '#ffffff' }])),
    ).toEqual([]);
    expect(
      parseStoredOverlays(JSON.stringify([{ id: 'a', kind: 'sma', params: {}, color: 'url(javascript:x)' }])),
    ).toEqual([]);
  });
});
