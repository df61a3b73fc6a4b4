import { AppError } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../src/cursor.ts';
import { buyerParams, checkTunableParams, listingDefaultParams } from '../src/params.ts';
import { chooseWindow } from '../src/verification.ts';

const ID = '7a1c7c8e-3a55-4b83-9f7e-8ad2b1d0c001';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof AppError ? err.code : `not an AppError: ${String(err)}`;
  }
  return undefined;
}

describe('search cursor', () => {
  it('round-trips a key and id, null keys too', () => {
    for (const v of [0.1234567890123, -3, 0, null, 1_765_000_000_123]) {
      const c = encodeCursor({ s: 'return', v, id: ID });
      expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
      expect(decodeCursor(c, 'return')).toEqual({ s: 'return', v, id: ID });
    }
  });

  it('refuses garbage, tampering and a cursor of another sort with INVALID_CURSOR', () => {
    const good = encodeCursor({ s: 'price', v: 100, id: ID });
    expect(codeOf(() => decodeCursor(good, 'return'))).toBe('INVALID_CURSOR');
    for (const bad of [
      'x',
      '!!!!',
      'not base64 at all',
      Buffer.from('{"s":"price","v":1}').toString('base64url'),
      Buffer.from(`{"s":"price","v":"1; DROP TABLE x","id":"${ID}"}`).toString('base64url'),
      Buffer.from('{"s":"price","v":1,"id":"nope"}').toString('base64url'),
      Buffer.from(`{"s":"price","v":1,"id":"${ID}","extra":1}`).toString('base64url'),
      Buffer.from('[1,2]').toString('base64url'),
      `${good}==`,
    ])
      expect(
        codeOf(() => decodeCursor(bad, 'price')),
        bad,
      ).toBe('INVALID_CURSOR');
  });
});

describe('listing parameters', () => {
  const fast = { name: 'fast', min: 2, max: 50, default: 10 };
  const tunable = [
    { name: 'fast', min: 2, max: 50, default: 10 },
    { name: 'slow', min: 10, max: 200, default: 30 },
  ];

  it('accepts a consistent tunable set and merges defaults', () => {
    expect(codeOf(() => checkTunableParams(tunable, { size: 1, fast: 12 }))).toBeUndefined();
    expect(listingDefaultParams(tunable, { size: 1, fast: 12 })).toEqual({ size: 1, fast: 10, slow: 30 });
  });

  it('refuses duplicate names, inverted bounds and a fixed value outside the bounds', () => {
    expect(codeOf(() => checkTunableParams([fast, fast], {}))).toBe('VALIDATION_FAILED');
    expect(codeOf(() => checkTunableParams([{ name: 'a', min: 5, max: 1, default: 3 }], {}))).toBe(
      'VALIDATION_FAILED',
    );
    expect(codeOf(() => checkTunableParams([{ name: 'a', min: 1, max: 5, default: 9 }], {}))).toBe(
      'VALIDATION_FAILED',
    );
    expect(codeOf(() => checkTunableParams(tunable, { fast: 51 }))).toBe('VALIDATION_FAILED');
    const many = Object.fromEntries(Array.from({ length: 32 }, (_, i) => [`p${i}`, i]));
    expect(codeOf(() => checkTunableParams(tunable, many))).toBe('VALIDATION_FAILED');
  });

  it("a buyer sets only tunable names, within bounds, over the listing's values", () => {
    expect(buyerParams(tunable, { size: 1 }, { fast: 2, slow: 200 })).toEqual({
      size: 1,
      fast: 2,
      slow: 200,
    });
    expect(buyerParams(tunable, { size: 1 }, {})).toEqual({ size: 1, fast: 10, slow: 30 });
    expect(codeOf(() => buyerParams(tunable, { size: 1 }, { size: 100 }))).toBe('LISTING_PARAM_NOT_ALLOWED');
    expect(codeOf(() => buyerParams(tunable, {}, { fast: 1 }))).toBe('LISTING_PARAM_NOT_ALLOWED');
    expect(codeOf(() => buyerParams(tunable, {}, { slow: 200.5 }))).toBe('LISTING_PARAM_NOT_ALLOWED');
    expect(codeOf(() => buyerParams(tunable, {}, { fast: Number.NaN }))).toBe('LISTING_PARAM_NOT_ALLOWED');
  });
});

describe('verification window', () => {
  const H = 3_600_000;
  const D = 24 * H;
  it('ends after the last candle and reaches back windowDays, or to the first candle', () => {
    expect(chooseWindow({ first: 0, last: 999 * H }, '1h', 30, null)).toEqual({
      from: 1000 * H - 30 * D,
      to: 1000 * H,
    });
    expect(chooseWindow({ first: 10 * H, last: 200 * H }, '1h', 30, null)).toEqual({
      from: 10 * H,
      to: 201 * H,
    });
  });
  it('never starts before the module was uploaded (the first whole candle after it)', () => {
    expect(chooseWindow({ first: 0, last: 999 * H }, '1h', 30, 900 * H + 1)).toEqual({
      from: 901 * H,
      to: 1000 * H,
    });
    expect(chooseWindow({ first: 0, last: 999 * H }, '1h', 30, 900 * H)).toEqual({
      from: 900 * H,
      to: 1000 * H,
    });
    // Uploaded after the last stored candle: nothing to verify on yet.
    expect(chooseWindow({ first: 0, last: 999 * H }, '1h', 30, 1000 * H)).toBeNull();
    expect(chooseWindow(null, '1h', 30, null)).toBeNull();
  });
});

describe('newest cursor bound', () => {
  it('a date key beyond +-8.64e15 ms is INVALID_CURSOR (never an Invalid Date in the query)', () => {
    for (const v of [8.64e15 + 1, -8.64e15 - 1, 1e300])
      expect(
        codeOf(() => decodeCursor(encodeCursor({ s: 'newest', v, id: ID }), 'newest')),
        String(v),
      ).toBe('INVALID_CURSOR');
    expect(decodeCursor(encodeCursor({ s: 'newest', v: 8.64e15, id: ID }), 'newest').v).toBe(8.64e15);
    expect(codeOf(() => decodeCursor(encodeCursor({ s: 'newest', v: null, id: ID }), 'newest'))).toBe(
      'INVALID_CURSOR',
    );
  });
});
