import { topics, tradeBatchSchema } from '@qt/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeJson, encodeMessage } from '../../src/bus/codec.ts';
import { isValidTradeBatch } from '../../src/bus/trade-batch-check.ts';

/**
 * The hand-written TradeBatch check must agree with `tradeBatchSchema` (zod) on every value that can
 * come out of JSON.parse, and may never accept anything zod rejects.
 */
const tricky = fc.constantFrom<unknown>(
  '',
  'x',
  '-',
  '1.',
  '.1',
  '-0',
  '-1.5',
  '1e5',
  ' 1',
  '1 ',
  '١',
  '0.'.padEnd(20, '1'),
  '0.'.padEnd(21, '1'),
  '1'.repeat(30),
  '1'.repeat(31),
  `${'1'.repeat(30)}.${'2'.repeat(18)}`,
  `-${'1'.repeat(30)}.${'2'.repeat(19)}`,
  'buy',
  'sell',
  'Buy',
  'binance',
  'BTC-USDT',
  'btc-usdt',
  'BTC-USDT-SWAP',
  '-USDT',
  'BTC-',
  `${'A'.repeat(20)}-${'B'.repeat(20)}`,
  `${'A'.repeat(21)}-B`,
  'a'.repeat(32),
  'a'.repeat(33),
  'a',
  'a_b-1',
  '1ab',
  'x'.repeat(40),
  'x'.repeat(41),
  'x'.repeat(64),
  'x'.repeat(65),
  0,
  -0,
  -1,
  1.5,
  2 ** 53 - 1,
  2 ** 53,
  1e300,
  null,
  true,
  [],
  {},
);

const trade = (venue: string, symbol: string) =>
  fc.record({
    venue: fc.constant(venue),
    symbol: fc.constant(symbol),
    venueSymbol: fc.string({ minLength: 1, maxLength: 40 }),
    tradeId: fc.string({ minLength: 1, maxLength: 64 }),
    price: fc.stringMatching(/^-?\d{1,30}(\.\d{1,18})?$/),
    quantity: fc.stringMatching(/^-?\d{1,30}(\.\d{1,18})?$/),
    takerSide: fc.constantFrom('buy', 'sell'),
    exchangeTime: fc.nat(),
    receiveTime: fc.maxSafeNat(),
  });

const validBatch = fc
  .tuple(fc.stringMatching(/^[a-z][a-z0-9_-]{1,31}$/), fc.stringMatching(/^[A-Z0-9]{1,20}-[A-Z0-9]{1,20}$/))
  .chain(([venue, symbol]) =>
    fc.record({
      venue: fc.constant(venue),
      symbol: fc.constant(symbol),
      trades: fc.array(trade(venue, symbol), { minLength: 1, maxLength: 6 }),
    }),
  );

/** One edit to a valid batch: a field set to a tricky value, removed, or added, on the batch or a trade. */
const edited = fc
  .tuple(
    validBatch,
    fc.nat(),
    fc.constantFrom(
      'venue',
      'symbol',
      'trades',
      'venueSymbol',
      'tradeId',
      'price',
      'quantity',
      'takerSide',
      'exchangeTime',
      'receiveTime',
      'extra',
      '__proto__',
    ),
    fc.constantFrom('set', 'delete'),
    fc.oneof(tricky, fc.jsonValue({ maxDepth: 1 })),
  )
  .map(([batch, which, key, how, value]) => {
    const b = JSON.parse(JSON.stringify(batch)) as Record<string, unknown>;
    const trades = b.trades as Record<string, unknown>[];
    const onBatch = ['venue', 'symbol', 'trades'].includes(key) || which % 3 === 0;
    const target = onBatch ? b : (trades[which % trades.length] as Record<string, unknown>);
    if (how === 'delete') delete target[key];
    else if (key === '__proto__') return JSON.parse(JSON.stringify(b).replace('{', '{"__proto__":1,'));
    else target[key] = value;
    return b;
  });

const zodOk = (v: unknown) => tradeBatchSchema.safeParse(v).success;

describe('isValidTradeBatch', () => {
  it('accepts every valid batch (property)', () => {
    fc.assert(
      fc.property(validBatch, (b) => {
        const v = JSON.parse(JSON.stringify(b));
        expect(zodOk(v)).toBe(true);
        expect(isValidTradeBatch(v)).toBe(true);
      }),
      { numRuns: 500 },
    );
  }, 60_000);

  it('agrees with zod on edited batches from JSON (property)', () => {
    fc.assert(
      fc.property(edited, (v) => {
        expect(isValidTradeBatch(v)).toBe(zodOk(v));
      }),
      { numRuns: 2_000 },
    );
  }, 60_000);

  it('agrees with zod on arbitrary JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (v) => {
        expect(isValidTradeBatch(v)).toBe(zodOk(v));
      }),
      { numRuns: 2_000 },
    );
  }, 60_000);

  it('never accepts what zod rejects, outside JSON too', () => {
    const base = {
      venue: 'binance',
      symbol: 'BTC-USDT',
      trades: [
        {
          venue: 'binance',
          symbol: 'BTC-USDT',
          venueSymbol: 'BTCUSDT',
          tradeId: '1',
          price: '1.5',
          quantity: '2',
          takerSide: 'buy',
          exchangeTime: 1,
          receiveTime: 2,
        },
      ],
    };
    expect(isValidTradeBatch(base)).toBe(true);
    const inherited = Object.assign(Object.create({ extra: 1 }), base);
    const withUndefined = { ...base, extra: undefined };
    const tooMany = { ...base, trades: Array.from({ length: 5_001 }, () => base.trades[0]) };
    const mixed = { ...base, trades: [{ ...base.trades[0], symbol: 'ETH-USDT' }] };
    for (const v of [inherited, withUndefined, tooMany, mixed, [base], null, 'x', { ...base, trades: [] }]) {
      expect(isValidTradeBatch(v) && !zodOk(v)).toBe(false);
    }
    expect(isValidTradeBatch({ ...base, trades: Array.from({ length: 5_000 }, () => base.trades[0]) })).toBe(
      true,
    );
  });

  it('leaves the codec’s answers unchanged: the same data, and zod’s reason on a rejection', () => {
    const batch = {
      venue: 'okx',
      symbol: 'BTC-USDT',
      trades: [
        {
          venue: 'okx',
          symbol: 'BTC-USDT',
          venueSymbol: 'BTC-USDT',
          tradeId: '7',
          price: '1',
          quantity: '2',
          takerSide: 'sell',
          exchangeTime: 3,
          receiveTime: 4,
        },
      ],
    };
    const text = new TextDecoder().decode(encodeMessage(batch));
    expect(decodeJson(topics.marketTrades, text)).toEqual({ ok: true, data: batch });
    const bad = decodeJson(topics.marketTrades, text.replace('"sell"', '"short"'));
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.reason).toMatch(/^schema market\.trades: trades\.0\.takerSide /);
  });
});
