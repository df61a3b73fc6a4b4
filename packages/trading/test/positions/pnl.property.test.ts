import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Ledger } from '../../src/ledger/index.ts';
import {
  accountEquity,
  applyFillToPosition,
  emptyPosition,
  PositionBook,
  positionFillFromPosting,
  realizedPnl,
  unrealizedPnl,
} from '../../src/positions/index.ts';
import { ALICE, T0, u } from '../ledger/fixtures.ts';

const price = fc.oneof(
  fc.bigInt({ min: 1n, max: u('200') }),
  fc.constantFrom(u('0.333333333333333333'), u('99.99')),
);
const share = fc.bigInt({ min: 1n, max: 100n });

describe('PnL agrees with balances', () => {
  it('equity minus deposits equals realized plus unrealized PnL, to the unit, at any mark', () => {
    const step = fc.record({
      side: fc.constantFrom('buy' as const, 'sell' as const),
      limit: price,
      quantity: fc.bigInt({ min: 1n, max: u('5') }),
      share,
      fills: fc.array(
        fc.record({ share, improvement: fc.bigInt({ min: 0n, max: u('1') }), maker: fc.boolean() }),
        {
          minLength: 1,
          maxLength: 3,
        },
      ),
      mark: price,
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 25 }), (steps) => {
        const deposited = u('100000');
        const ledger = new Ledger();
        const book = new PositionBook();
        ledger.deposit({ id: 'd', accountId: ALICE, asset: 'USDT', amount: deposited, time: T0 });
        let n = 0;
        for (const s of steps) {
          const orderId = `o${n++}`;
          const btc = ledger.balances(ALICE).find((b) => b.asset === 'BTC')?.free ?? 0n;
          const quantity = s.side === 'buy' ? s.quantity : (btc * s.share) / 100n;
          if (quantity === 0n) continue;
          ledger.lockOrder({
            orderId,
            accountId: ALICE,
            venue: 'sim',
            symbol: 'BTC-USDT',
            side: s.side,
            quantity,
            limitPrice: s.limit,
            takerFeeRate: u('0.001'),
            time: T0,
          });
          for (const f of s.fills) {
            const order = ledger.order(orderId);
            if (order?.status !== 'open') break;
            const left = order.quantity - order.filledQuantity;
            const q = (left * f.share) / 100n || left;
            // Buys fill at or below their limit, sells at or above.
            const better = s.side === 'buy' ? s.limit - f.improvement : s.limit + f.improvement;
            const p = better > 0n ? better : s.limit;
            const fillId = `f${n++}`;
            const booked = ledger.fill({
              fillId,
              orderId,
              price: p,
              quantity: q,
              feeRate: f.maker ? u('0.0002') : u('0.001'),
              time: T0,
            });
            book.apply(positionFillFromPosting(booked.posting) ?? expect.fail('a fill posting'));
          }
          if (ledger.order(orderId)?.status === 'open') ledger.unlockOrder({ orderId, time: T0 });

          const position = book.get(ALICE, 'sim', 'BTC-USDT') ?? emptyPosition(ALICE, 'sim', 'BTC-USDT');
          const equity = accountEquity(ledger.balances(ALICE), 'USDT', new Map([['BTC-USDT', s.mark]]));
          if (!equity.complete) throw new Error('BTC-USDT is priced');
          expect(equity.equity - deposited).toBe(realizedPnl(position) + unrealizedPnl(position, s.mark));
          if (position.quantity === 0n) expect(position.costBasis).toBe(0n);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('realized PnL minus the open basis is the net quote flow, through flips and shorts', () => {
    const fillArb = fc.record({
      side: fc.constantFrom('buy' as const, 'sell' as const),
      quantity: fc.oneof(fc.bigInt({ min: 1n, max: u('3') }), fc.constantFrom(1n, 3n, 7n)),
      quote: fc.oneof(fc.bigInt({ min: 0n, max: u('500') }), fc.constantFrom(0n, 1n, 2n)),
      fee: fc.bigInt({ min: 0n, max: u('1') }),
    });
    fc.assert(
      fc.property(fc.array(fillArb, { maxLength: 40 }), (fills) => {
        let p = emptyPosition(ALICE, 'sim', 'BTC-USDT');
        let cash = 0n;
        let fees = 0n;
        fills.forEach((f, i) => {
          p = applyFillToPosition(p, {
            ...f,
            fillId: `f${i}`,
            accountId: ALICE,
            venue: 'sim',
            symbol: 'BTC-USDT',
          });
          cash += f.side === 'sell' ? f.quote : -f.quote;
          fees += f.fee;
          expect(p.grossRealizedPnl - p.costBasis).toBe(cash);
          expect(p.fees).toBe(fees);
          if (p.quantity === 0n) expect(p.grossRealizedPnl).toBe(cash);
        });
      }),
      { numRuns: 300 },
    );
  });
});
