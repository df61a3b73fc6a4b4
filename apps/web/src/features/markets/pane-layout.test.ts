import { describe, expect, it } from 'vitest';
import {
  dividerY,
  dragDivider,
  gridOrder,
  layoutPanes,
  type PaneBox,
  paneFrame,
  paneKeys,
  parseShares,
  sharesOf,
} from './pane-layout';

const heights = (boxes: readonly PaneBox[]) => boxes.map((b) => b.height);
const room = (height: number, panes: number) =>
  height - paneFrame.top - paneFrame.bottom - paneFrame.gap * (panes - 1);

describe('pane layout', () => {
  it('names panes in stacking order, numbering a repeated kind', () => {
    expect(paneKeys([])).toEqual(['price', 'volume']);
    expect(paneKeys(['rsi', 'macd', 'rsi'])).toEqual(['price', 'rsi', 'macd', 'rsi-2', 'volume']);
  });

  it('stacks the panes with a gap between them, filling the height exactly', () => {
    const boxes = layoutPanes(paneKeys(['rsi']), {}, 600);
    expect(boxes.map((b) => b.key)).toEqual(['price', 'rsi', 'volume']);
    expect(boxes[0]?.top).toBe(paneFrame.top);
    for (let i = 1; i < boxes.length; i++) {
      const prev = boxes[i - 1] as PaneBox;
      expect(boxes[i]?.top).toBe(prev.top + prev.height + paneFrame.gap);
    }
    expect(heights(boxes).reduce((a, b) => a + b)).toBe(room(600, 3));
    // Defaults: price biggest, then the indicator, then volume.
    const [price = 0, rsi = 0, volume = 0] = heights(boxes);
    expect(price).toBeGreaterThan(rsi);
    expect(rsi).toBeGreaterThan(volume);
  });

  it('uses the stored shares and keeps every pane at least the minimum', () => {
    const boxes = layoutPanes(['price', 'rsi', 'volume'], { price: 0.5, rsi: 0.3, volume: 0.2 }, 552);
    expect(heights(boxes)).toEqual([232, 139, 93]);
    const squeezed = layoutPanes(['price', 'rsi', 'volume'], { price: 0.98, rsi: 0.01, volume: 0.01 }, 552);
    expect(heights(squeezed)).toEqual([464 - 2 * paneFrame.min, paneFrame.min, paneFrame.min]);
    // Too small for the minimums: even shares.
    expect(heights(layoutPanes(['price', 'rsi', 'volume'], {}, 150))).toEqual([21, 20, 21]);
  });

  it('moves a divider between two panes only, clamped at the minimum', () => {
    const boxes = layoutPanes(['price', 'rsi', 'volume'], { price: 0.5, rsi: 0.3, volume: 0.2 }, 552);
    const moved = dragDivider(boxes, 0, 40);
    expect(heights(moved)).toEqual([272, 99, 93]);
    expect(moved[1]?.top).toBe((boxes[1]?.top ?? 0) + 40);
    expect(moved[2]).toEqual(boxes[2]);
    expect(heights(dragDivider(boxes, 1, 500))).toEqual([232, 139 + 93 - paneFrame.min, paneFrame.min]);
    expect(heights(dragDivider(boxes, 0, -500))).toEqual([paneFrame.min, 139 + 232 - paneFrame.min, 93]);
    expect(dragDivider(boxes, 2, 10)).toEqual(boxes);
    expect(dividerY(boxes, 0)).toBe(paneFrame.top + 232 + paneFrame.gap / 2);
  });

  it('remembers shares that lay the same panes out again the same way', () => {
    const boxes = dragDivider(layoutPanes(['price', 'macd', 'volume'], {}, 700), 1, 33);
    const shares = sharesOf(boxes);
    expect(Object.values(shares).reduce((a, b) => a + b)).toBeCloseTo(1, 3);
    const again = layoutPanes(['price', 'macd', 'volume'], parseShares(JSON.stringify(shares)), 700);
    expect(heights(again)).toEqual(heights(boxes));
  });

  it('ignores stored layouts it did not write', () => {
    expect(parseShares(null)).toEqual({});
    expect(parseShares('not json')).toEqual({});
    expect(parseShares('{"price":-1}')).toEqual({});
    expect(parseShares('[1,2]')).toEqual({});
    expect(parseShares('{"price":0.6,"volume":0.4}')).toEqual({ price: 0.6, volume: 0.4 });
  });

  it('orders boxes as the chart option numbers its grids: price, volume, then indicator panes', () => {
    expect(gridOrder(['price', 'rsi', 'macd', 'volume'])).toEqual(['price', 'volume', 'rsi', 'macd']);
    expect(gridOrder(['price', 'volume'])).toEqual(['price', 'volume']);
  });
});
