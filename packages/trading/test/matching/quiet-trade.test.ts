import { ManualClock, tryParseUnits } from '@qt/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type MatchingEvent, PaperMatchingEngine } from '../../src/matching/index.ts';
import { BTC, cents, encode, request } from './harness.ts';

/** Two engines fed the same commands; the second takes the onQuietTrade shortcut whenever it may. */
function pair(latencyMs: number) {
  const make = () => {
    const clock = new ManualClock(1_000);
    const events: MatchingEvent[] = [];
    const engine = new PaperMatchingEngine({ clock, onEvent: (e) => events.push(e), latencyMs });
    engine.setInstrument(BTC);
    return { clock, events, engine };
  };
  return { plain: make(), quick: make() };
}

type Command =
  | { kind: 'trade'; cents: number; centis: number; buy: boolean }
  | { kind: 'quote'; cents: number }
  | {
      kind: 'place';
      side: 'buy' | 'sell';
      type: 'market' | 'limit' | 'stop_market';
      offset: number;
      lots: number;
    }
  | { kind: 'cancelAll' }
  | { kind: 'wait'; ms: number };

const command: fc.Arbitrary<Command> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant('trade' as const),
      cents: fc.integer({ min: 4_990_000, max: 5_010_000 }),
      centis: fc.integer({ min: 1, max: 50_000 }),
      buy: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('quote' as const),
      cents: fc.integer({ min: 4_990_000, max: 5_010_000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('place' as const),
      side: fc.constantFrom('buy' as const, 'sell' as const),
      type: fc.constantFrom('market' as const, 'limit' as const, 'stop_market' as const),
      offset: fc.integer({ min: -2_000, max: 2_000 }),
      lots: fc.integer({ min: 1, max: 400 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'cancelAll' as const }) },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 3_000 }) }),
  },
);

describe('onQuietTrade', () => {
  it('leaves every event and fill exactly as onTrade would, whatever rests, waits or is in flight', () => {
    let quietTotal = 0;
    fc.assert(
      fc.property(fc.array(command, { maxLength: 120 }), fc.constantFrom(0, 1_500), (commands, latency) => {
        const { plain, quick } = pair(latency);
        const handle = quick.engine.marketHandle(BTC.venue, BTC.symbol);
        if (!handle) throw new Error('no handle');
        let last = 5_000_000;
        let quiet = 0;
        commands.forEach((c, n) => {
          for (const side of [plain, quick]) {
            const { engine, clock } = side;
            if (c.kind === 'wait') clock.advance(c.ms);
            else if (c.kind === 'trade') {
              const price = cents(c.cents);
              const trade = {
                venue: BTC.venue,
                symbol: BTC.symbol,
                venueSymbol: BTC.venueSymbol,
                tradeId: `t${n}`,
                price,
                quantity: `${(c.centis / 100_000).toFixed(5)}`,
                takerSide: c.buy ? ('buy' as const) : ('sell' as const),
                exchangeTime: clock.now(),
                receiveTime: clock.now(),
              };
              if (side === quick) {
                const units = tryParseUnits(price, 2);
                if (engine.onQuietTrade(handle, units, Number(trade.quantity))) quiet++;
                else engine.onTrade(trade);
              } else engine.onTrade(trade);
            } else if (c.kind === 'quote') {
              const q = {
                venue: BTC.venue,
                symbol: BTC.symbol,
                exchangeTime: clock.now(),
                receiveTime: clock.now(),
              };
              engine.onQuote({
                ...q,
                bidPrice: cents(c.cents - 1),
                bidSize: '0.5',
                askPrice: cents(c.cents + 1),
                askSize: '0.5',
              });
            } else if (c.kind === 'place') {
              const p = cents(last + c.offset);
              engine.placeOrder(
                request({
                  orderId: `o${n}`,
                  accountId: 'a',
                  venue: BTC.venue,
                  symbol: BTC.symbol,
                  side: c.side,
                  type: c.type,
                  quantity: (c.lots / 1000).toFixed(3),
                  price: c.type === 'limit' ? p : null,
                  stopPrice: c.type === 'stop_market' ? p : null,
                  timeInForce: c.type === 'limit' ? 'GTC' : 'IOC',
                }),
              );
            } else engine.cancelAll('a');
          }
          if (c.kind === 'trade') last = c.cents;
        });
        // A final market order reads the trade flow (depth and spacing of the modelled levels).
        for (const { engine } of [plain, quick]) {
          engine.placeOrder(
            request({
              orderId: 'last',
              accountId: 'a',
              venue: BTC.venue,
              symbol: BTC.symbol,
              side: 'buy',
              type: 'market',
              quantity: '3',
            }),
          );
        }
        expect(encode(quick.events)).toBe(encode(plain.events));
        quietTotal += quiet;
      }),
      { numRuns: 150 },
    );
    // The comparison means something only if the shortcut was taken, and often.
    expect(quietTotal).toBeGreaterThan(100);
  });

  it('takes the shortcut on an idle book and refuses it while an order rests, waits or is in flight', () => {
    const { quick } = pair(1_000);
    const { engine, clock } = quick;
    const h = engine.marketHandle(BTC.venue, BTC.symbol);
    if (!h) throw new Error('no handle');
    expect(engine.onQuietTrade(h, 5_000_000, 0.1)).toBe(true);
    engine.placeOrder(
      request({
        orderId: 'x',
        accountId: 'a',
        venue: BTC.venue,
        symbol: BTC.symbol,
        side: 'buy',
        type: 'limit',
        quantity: '0.1',
        price: '49000',
      }),
    );
    expect(engine.onQuietTrade(h, 5_000_000, 0.1)).toBe(false); // in flight (latency)
    clock.advance(1_000);
    engine.advance();
    expect(engine.restingCount(BTC.venue, BTC.symbol)).toBe(1);
    expect(engine.onQuietTrade(h, 5_000_000, 0.1)).toBe(false); // resting
    engine.cancelAll('a');
    expect(engine.onQuietTrade(h, 5_000_000, 0.1)).toBe(true);
    expect(engine.marketHandle('binance', 'NOPE-USDT')).toBeUndefined();
  });

  it('refuses a stale handle once the instrument changed its tick decimals', () => {
    const { quick } = pair(0);
    const h = quick.engine.marketHandle(BTC.venue, BTC.symbol);
    if (!h) throw new Error('no handle');
    quick.engine.setInstrument({ ...BTC, tickSize: '0.1' });
    expect(quick.engine.onQuietTrade(h, 500_000, 0.1)).toBe(false);
    const fresh = quick.engine.marketHandle(BTC.venue, BTC.symbol);
    expect(fresh && quick.engine.onQuietTrade(fresh, 500_000, 0.1)).toBe(true);
  });
});
