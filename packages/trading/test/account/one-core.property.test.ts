import { type Instrument, ManualClock } from '@qt/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  fillBooking,
  type OrderIntent,
  PaperBook,
  planOrder,
  unlockBooking,
} from '../../src/account/index.ts';
import { depositPosting, remainingReservation } from '../../src/ledger/index.ts';
import { type MatchingEvent, PaperMatchingEngine } from '../../src/matching/index.ts';
import { RiskEngine, resolveRiskLimits } from '../../src/risk/index.ts';

/*
 * The paper-account core end to end, as a backtest drives it (plan -> apply the lock -> matcher -> book
 * each event): random orders, trades, quotes and cancels on two accounts. After every step the ledger
 * reconciles with its journal, conserves value, and the book's open-order index, the ledger's open
 * reservations and the matcher's open orders are the same orders with the same remaining quantity.
 */

const BTC: Instrument = {
  venue: 'binance',
  symbol: 'BTC-USDT',
  venueSymbol: 'BTCUSDT',
  base: 'BTC',
  quote: 'USDT',
  tickSize: '0.01',
  lotSize: '0.001',
  minNotional: '5',
  status: 'trading',
};
const ONE = 10n ** 18n;
const CENT = 10n ** 16n;
const LOT = 10n ** 15n;
const ACCOUNTS = ['a', 'b'] as const;

type Step =
  | {
      k: 'order';
      account: number;
      side: 'buy' | 'sell';
      type: 'limit' | 'market';
      lots: number;
      offset: number;
    }
  | { k: 'trade'; offset: number; lots: number }
  | { k: 'quote'; offset: number }
  | { k: 'cancel'; account: number; nth: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    k: fc.constant('order' as const),
    account: fc.integer({ min: 0, max: 1 }),
    side: fc.constantFrom('buy' as const, 'sell' as const),
    type: fc.constantFrom('limit' as const, 'market' as const),
    lots: fc.integer({ min: 1, max: 3_000 }),
    offset: fc.integer({ min: -300, max: 300 }),
  }),
  fc.record({
    k: fc.constant('trade' as const),
    offset: fc.integer({ min: -300, max: 300 }),
    lots: fc.integer({ min: 1, max: 5_000 }),
  }),
  fc.record({ k: fc.constant('quote' as const), offset: fc.integer({ min: -300, max: 300 }) }),
  fc.record({ k: fc.constant('cancel' as const), account: fc.integer({ min: 0, max: 1 }), nth: fc.nat(5) }),
);

const cents = (c: number): string => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;

function run(steps: readonly Step[]): void {
  const clock = new ManualClock(1_000);
  const book = new PaperBook();
  const risk = new RiskEngine(clock);
  const matcher = new PaperMatchingEngine({
    clock,
    onEvent: (e: MatchingEvent) => {
      if (e.type === 'orderFilled') {
        const posting = fillBooking(book.ledger, e.fill);
        if (typeof posting === 'string') throw new Error(`fill not bookable: ${posting}`);
        book.apply(posting);
      } else if (e.type === 'orderCanceled' || e.type === 'orderExpired' || e.type === 'orderRejected') {
        const unlock = unlockBooking(book.ledger, e.order.id, e.order.updatedAt);
        if (unlock) book.apply(unlock);
      }
    },
  });
  matcher.setInstrument(BTC);
  for (const id of ACCOUNTS) {
    book.apply(
      depositPosting({ id: `${id}u`, accountId: id, asset: 'USDT', amount: 100_000n * ONE, time: 0 }),
    );
    book.apply(depositPosting({ id: `${id}b`, accountId: id, asset: 'BTC', amount: 2n * ONE, time: 0 }));
  }
  const mid = 5_000_000; // 50,000.00
  let last: bigint | null = null;
  let ask: bigint | null = null;
  let n = 0;
  for (const s of steps) {
    clock.advance(10);
    if (s.k === 'trade') {
      const price = cents(mid + s.offset);
      last = BigInt(mid + s.offset) * CENT;
      matcher.onTrade({
        venue: BTC.venue,
        symbol: BTC.symbol,
        venueSymbol: BTC.venueSymbol,
        tradeId: `t${++n}`,
        price,
        quantity: String(s.lots / 1000),
        takerSide: s.offset % 2 === 0 ? 'buy' : 'sell',
        exchangeTime: clock.now(),
        receiveTime: clock.now(),
      });
    } else if (s.k === 'quote') {
      ask = BigInt(mid + s.offset + 5) * CENT;
      matcher.onQuote({
        venue: BTC.venue,
        symbol: BTC.symbol,
        bidPrice: cents(mid + s.offset - 5),
        bidSize: '0.5',
        askPrice: cents(mid + s.offset + 5),
        askSize: '0.5',
        exchangeTime: clock.now(),
        receiveTime: clock.now(),
      });
    } else if (s.k === 'cancel') {
      const accountId = ACCOUNTS[s.account] as string;
      const id = [...book.openOrders(accountId).keys()][s.nth];
      if (id !== undefined) matcher.cancelOrder(accountId, id);
    } else {
      const accountId = ACCOUNTS[s.account] as string;
      const intent: OrderIntent = {
        orderId: `o${++n}`,
        accountId,
        clientOrderId: null,
        venue: BTC.venue,
        symbol: BTC.symbol,
        side: s.side,
        type: s.type,
        timeInForce: s.type === 'limit' ? 'GTC' : 'IOC',
        postOnly: false,
        quantity: BigInt(s.lots) * LOT,
        price: s.type === 'limit' ? BigInt(mid + s.offset) * CENT : null,
        stopPrice: null,
        feeTier: 'default',
      };
      const plan = planOrder(intent, {
        ledger: book.ledger,
        risk,
        riskContext: {
          tenantId: 't',
          accountId,
          limits: resolveRiskLimits('PRO', {}),
          killSwitch: { tenant: null, account: null },
          lastPrice: last,
          position: book.positions.get(accountId, BTC.venue, BTC.symbol)?.quantity ?? 0n,
          ...book.exposure(accountId, BTC.venue, BTC.symbol),
          equity: 0n,
          netTransfersToday: 0n,
        },
        prices: {
          last: () => last,
          ask: () => ask,
          takerTop: (venue, symbol) => matcher.takerTop(venue, symbol, 'buy'),
        },
        takerFeeRate: 10n ** 15n,
        maxSlippageBps: 50,
        time: clock.now(),
      });
      if (plan.ok) {
        book.apply(plan.lock);
        matcher.placeOrder(plan.request);
      }
    }
    check(book, matcher);
  }
}

function check(book: PaperBook, matcher: PaperMatchingEngine): void {
  const ledger = book.ledger;
  expect(ledger.reconcile().ok).toBe(true);
  for (const total of ledger.totals().values()) expect(total).toBe(0n);
  for (const accountId of ACCOUNTS) {
    const reserved = new Map(
      ledger.openOrders(accountId).map((r) => [r.orderId, r.quantity - r.filledQuantity]),
    );
    const indexed = new Map([...book.openOrders(accountId)].map(([id, o]) => [id, o.remaining]));
    const matched = new Map(matcher.openOrders(accountId).map((o) => [o.id, o.quantity - o.filledQuantity]));
    expect(indexed).toEqual(reserved);
    expect(matched).toEqual(reserved);
    for (const r of ledger.openOrders(accountId)) expect(remainingReservation(r) > 0n).toBe(true);
  }
}

describe('the paper-account core', () => {
  it('keeps ledger, open-order index and matcher in step over random orders, trades, quotes and cancels', () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => run(steps)),
      { numRuns: 60 },
    );
  }, 60_000);
});
