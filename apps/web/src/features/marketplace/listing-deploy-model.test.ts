import { describe, expect, it } from 'vitest';
import { parseTunables } from './listing-deploy-model';

const tunables = [
  { name: 'fast', min: 2, max: 50, default: 9 },
  { name: 'threshold', min: -1, max: 1, default: 0 },
];

describe('parseTunables', () => {
  it('sends only changed values, within bounds', () => {
    expect(parseTunables({ fast: '12', threshold: '0' }, tunables)).toEqual({
      ok: true,
      params: { fast: 12 },
    });
    expect(parseTunables({ fast: '', threshold: '-0.5' }, tunables)).toEqual({
      ok: true,
      params: { threshold: -0.5 },
    });
  });
  it('refuses out-of-bounds and non-numbers by name', () => {
    expect(parseTunables({ fast: '51', threshold: 'abc' }, tunables)).toEqual({
      ok: false,
      errors: { fast: 'Between 2 and 50.', threshold: 'A number.' },
    });
  });
  it('never sends a name the listing does not make tunable', () => {
    expect(parseTunables({ fast: '10', quantity: '100' }, tunables)).toEqual({
      ok: true,
      params: { fast: 10 },
    });
  });
});
