import { describe, expect, it } from 'vitest';
import { defaultSelection, parseSelection, selectionQuery } from './market-selection';

describe('parseSelection', () => {
  it('reads venue, symbol and interval from the query and writes them back', () => {
    const sel = parseSelection({ venue: 'okx', symbol: 'eth-usdt', interval: '1s' });
    expect(sel).toEqual({ venue: 'okx', symbol: 'ETH-USDT', interval: '1s' });
    expect(selectionQuery(sel)).toBe('venue=okx&symbol=ETH-USDT&interval=1s');
  });

  it('takes the intervals folded in the browser too', () => {
    expect(parseSelection({ interval: '3m' }).interval).toBe('3m');
    expect(parseSelection({ interval: '1w' }).interval).toBe('1w');
  });

  it('falls back to the default for each malformed or missing field', () => {
    expect(parseSelection({ venue: 'Bad Venue!', symbol: 'BTCUSDT', interval: '100ms' })).toEqual(
      defaultSelection,
    );
    expect(parseSelection({ venue: ['bybit', 'okx'] })).toEqual({ ...defaultSelection, venue: 'bybit' });
  });
});
