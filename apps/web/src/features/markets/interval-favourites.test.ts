import { describe, expect, it } from 'vitest';
import { chartIntervals, defaultFavouriteIntervals } from './chart-intervals';
import { intervalGroups, parseFavourites, toggleFavourite } from './interval-favourites';

describe('interval favourites', () => {
  it('reads the stored list in chart order, dropping what is not an interval', () => {
    expect(parseFavourites(null)).toEqual(defaultFavouriteIntervals);
    expect(parseFavourites('{')).toEqual(defaultFavouriteIntervals);
    expect(parseFavourites('{"a":1}')).toEqual(defaultFavouriteIntervals);
    expect(parseFavourites('["1w","3m","bogus","3m","100ms"]')).toEqual(['3m', '1w']);
    expect(parseFavourites('[]')).toEqual([]);
  });

  it('stars and unstars an interval, keeping chart order', () => {
    expect(toggleFavourite(['1m', '1h'], '3m')).toEqual(['1m', '3m', '1h']);
    expect(toggleFavourite(['1m', '3m', '1h'], '3m')).toEqual(['1m', '1h']);
  });

  it('groups every interval by unit for the menu', () => {
    const groups = intervalGroups();
    expect(groups.map((g) => g.label)).toEqual(['Seconds', 'Minutes', 'Hours', 'Days']);
    expect(groups.flatMap((g) => g.intervals)).toEqual(chartIntervals);
    expect(groups[3]?.intervals).toEqual(['1d', '1w']);
  });
});
