import { topics, tradeBatchSchema } from '@qt/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeJson,
  decodeMessage,
  encodeMessage,
  encodeText,
  encodeTopicMessage,
} from '../../src/bus/codec.ts';
import { decodeCompactTradeBatch, encodeCompactTradeBatch } from '../../src/bus/trade-batch-codec.ts';

/**
 * The compact form of trade batches (trade-batch-codec.ts): whatever a publisher hands the bus, the
 * consumer gets the same answer as with JSON (the same data, or a rejection), and messages stored as JSON
 * before the compact form existed still decode.
 */
const trade = (venue: string, symbol: string, venueSymbol: fc.Arbitrary<string>) =>
  fc.record({
    venue: fc.constant(venue),
    symbol: fc.constant(symbol),
    venueSymbol,
    tradeId: fc.oneof(fc.string({ minLength: 1, maxLength: 64 }), fc.constantFrom('a|b', 'x\ny', '|', '\n')),
    price: fc.stringMatching(/^-?\d{1,30}(\.\d{1,18})?$/),
    quantity: fc.stringMatching(/^-?\d{1,30}(\.\d{1,18})?$/),
    takerSide: fc.constantFrom('buy', 'sell'),
    exchangeTime: fc.nat(),
    receiveTime: fc.maxSafeNat(),
  });

/** Valid batches; each trade's venue symbol is the batch's one, or (sometimes) its own. */
const validBatch = fc
  .tuple(
    fc.stringMatching(/^[a-z][a-z0-9_-]{1,31}$/),
    fc.stringMatching(/^[A-Z0-9]{1,20}-[A-Z0-9]{1,20}$/),
    fc.oneof(fc.string({ minLength: 1, maxLength: 40 }), fc.constantFrom('BTCUSDT', 'a|b', 'é')),
    fc.boolean(),
  )
  .chain(([venue, symbol, venueSymbol, shared]) =>
    fc.record({
      venue: fc.constant(venue),
      symbol: fc.constant(symbol),
      trades: fc.array(
        trade(venue, symbol, shared ? fc.constant(venueSymbol) : fc.string({ minLength: 1, maxLength: 40 })),
        { minLength: 1, maxLength: 8 },
      ),
    }),
  );

const oneTrade = {
  venue: 'binance',
  symbol: 'BTC-USDT',
  venueSymbol: 'BTCUSDT',
  tradeId: '12345',
  price: '64000.12',
  quantity: '0.015',
  takerSide: 'buy' as const,
  exchangeTime: 1_700_000_000_000,
  receiveTime: 1_700_000_000_001,
};
const batch = {
  venue: 'binance',
  symbol: 'BTC-USDT',
  trades: [oneTrade, { ...oneTrade, tradeId: '12346', takerSide: 'sell' as const }],
};

describe('compact trade batches', () => {
  it('round-trip every valid batch to the same data, on the wire and in process (property)', () => {
    fc.assert(
      fc.property(validBatch, (b) => {
        expect(decodeMessage(topics.marketTrades, encodeTopicMessage(topics.marketTrades, b))).toEqual({
          ok: true,
          data: b,
        });
        expect(decodeJson(topics.marketTrades, encodeText(topics.marketTrades, b))).toEqual({
          ok: true,
          data: b,
        });
      }),
      { numRuns: 1_000 },
    );
  }, 60_000);

  it('are used for ordinary batches, a third the size of their JSON', () => {
    const text = encodeText(topics.marketTrades, batch);
    expect(text).toBe(
      'T1|binance|BTC-USDT|BTCUSDT\n12345|64000.12|0.015|b|1700000000000|1700000000001\n12346|64000.12|0.015|s|1700000000000|1700000000001',
    );
    expect(text.length * 2).toBeLessThan(JSON.stringify(batch).length);
  });

  it('fall back to JSON when a field holds a separator or the venue symbols differ, and still round-trip', () => {
    for (const b of [
      { ...batch, trades: [{ ...oneTrade, tradeId: 'a|b' }] },
      { ...batch, trades: [{ ...oneTrade, tradeId: 'a\nb' }] },
      { ...batch, trades: [{ ...oneTrade, venueSymbol: 'BTC|USDT' }] },
      { ...batch, trades: [oneTrade, { ...oneTrade, venueSymbol: 'BTCUSDT2' }] },
    ]) {
      expect(encodeCompactTradeBatch(b)).toBeUndefined();
      expect(encodeText(topics.marketTrades, b)).toBe(JSON.stringify(b));
      expect(decodeJson(topics.marketTrades, encodeText(topics.marketTrades, b))).toEqual({
        ok: true,
        data: b,
      });
    }
  });

  it('leave an invalid batch to JSON, so it is rejected exactly as before', () => {
    for (const b of [
      { ...batch, trades: [{ ...oneTrade, extra: 1 }] },
      { ...batch, trades: [{ ...oneTrade, symbol: 'ETH-USDT' }] },
      { ...batch, trades: [{ ...oneTrade, exchangeTime: 1.5 }] },
      { ...batch, trades: [] },
      { ...batch, trades: [{ ...oneTrade, takerSide: 'hold' }] },
    ]) {
      expect(encodeText(topics.marketTrades, b as never)).toBe(JSON.stringify(b));
      expect(decodeJson(topics.marketTrades, encodeText(topics.marketTrades, b as never)).ok).toBe(false);
    }
  });

  it('decode messages stored as JSON before the compact form existed', () => {
    expect(decodeMessage(topics.marketTrades, encodeMessage(batch))).toEqual({ ok: true, data: batch });
  });

  it('reject a malformed compact text with a reason, and check what it parses to against the schema', () => {
    const bad = [
      'T1|binance|BTC-USDT',
      'T1|binance|BTC-USDT|BTCUSDT',
      'T1|binance|BTC-USDT|BTCUSDT\n',
      'T1|binance|BTC-USDT|BTCUSDT\n1|2|3|b|4',
      'T1|binance|BTC-USDT|BTCUSDT\n1|2|3|b|4|5|6',
      'T1|binance|BTC-USDT|BTCUSDT\n1|2|3|b|4|5\n',
      'T1|binance|BTC-USDT|BTCUSDT\n1|2|3|b|0x1A|5',
      'T1|binance|BTC-USDT|BTCUSDT\n1|2|3|b||5',
      'T1|binance|BTC-USDT|BTCUSDT\n1|2|3|b|-4|5',
      'T1|binance|BTC-USDT|BTCUSDT\n1|2|3|x|4|5',
      'T1|binance|BTC-USDT|BTCUSDT\n1|2.|3|b|4|5',
      'T1|binance|btc-usdt|BTCUSDT\n1|2|3|b|4|5',
      'T1|binance|BTC-USDT|\n1|2|3|b|4|5',
      `T1|binance|BTC-USDT|BTCUSDT${'\n1|2|3|b|4|5'.repeat(5_001)}`,
      'T2|binance|BTC-USDT|BTCUSDT\n1|2|3|b|4|5',
    ];
    for (const text of bad) {
      const decoded = decodeJson(topics.marketTrades, text);
      expect(decoded.ok, text.slice(0, 60)).toBe(false);
      expect(decodeMessage(topics.marketTrades, Buffer.from(text)).ok).toBe(false);
    }
    const good = decodeCompactTradeBatch('T1|binance|BTC-USDT|BTCUSDT\n1|2|3|b|4|5');
    expect(good.ok && tradeBatchSchema.safeParse(good.value).success).toBe(true);
  });

  it('are only read on the trades topic: another topic never parses the compact form', () => {
    const text = encodeText(topics.marketTrades, batch);
    expect(decodeJson(topics.marketQuality, text).ok).toBe(false);
  });

  it('reject bytes that are not UTF-8, as the JSON form does', () => {
    const bytes = Buffer.concat([
      Buffer.from('T1|binance|BTC-USDT|BTCUSDT\n1|2|3|b|4|5'),
      Buffer.from([0xff]),
    ]);
    expect(decodeMessage(topics.marketTrades, bytes)).toMatchObject({ ok: false });
  });
});
