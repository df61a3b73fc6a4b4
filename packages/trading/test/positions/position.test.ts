import { describe, expect, it } from 'vitest';
import {
  applyFillToPosition,
  averageEntryPrice,
  emptyPosition,
  type Position,
  PositionBook,
  type PositionFill,
  realizedPnl,
  toPositionView,
  unrealizedPnl,
} from '../../src/positions/index.ts';
import { ALICE, u } from '../ledger/fixtures.ts';

let seq = 0;
const fill = (side: 'buy' | 'sell', quantity: string, quote: string, fee = '0'): PositionFill => ({
  fillId: `f${seq++}`,
  accountId: ALICE,
  venue: 'sim',
  symbol: 'BTC-USDT',
  side,
  quantity: u(quantity),
  quote: u(quote),
  fee: u(fee),
});

const run = (...fills: PositionFill[]): Position =>
  fills.reduce(applyFillToPosition, emptyPosition(ALICE, 'sim', 'BTC-USDT'));

describe('average entry price', () => {
  it('weights fills by quantity and rounds half-even to the unit', () => {
    expect(
      averageEntryPrice(run(fill('buy', '1', '100'), fill('buy', '1', '101'), fill('buy', '1', '103'))),
    ).toBe(u('101.333333333333333333'));
    expect(
      averageEntryPrice(run(fill('buy', '1', '100'), fill('buy', '1', '100'), fill('buy', '1', '102'))),
    ).toBe(u('100.666666666666666667'));
    expect(averageEntryPrice(run(fill('buy', '0.5', '50'), fill('buy', '1.5', '153')))).toBe(u('101.5'));
  });

  it('is null when flat', () => {
    expect(averageEntryPrice(run(fill('buy', '1', '100'), fill('sell', '1', '90')))).toBeNull();
  });
});

describe('realized PnL', () => {
  it('realizes the closed share of the basis and leaves no rounding once flat', () => {
    const opened = run(fill('buy', '1', '100'), fill('buy', '1', '101'), fill('buy', '1', '103'));
    const reduced = applyFillToPosition(opened, fill('sell', '1', '110'));
    expect(reduced.grossRealizedPnl).toBe(u('8.666666666666666667'));
    expect(reduced.quantity).toBe(u('2'));
    const flat = applyFillToPosition(reduced, fill('sell', '2', '180'));
    expect(flat.grossRealizedPnl).toBe(u('290') - u('304'));
    expect(flat.costBasis).toBe(0n);
  });

  it('is net of every fee paid, opening fees included', () => {
    const p = run(fill('buy', '1', '100', '0.1'), fill('sell', '0.5', '60', '0.06'));
    expect(p.grossRealizedPnl).toBe(u('10'));
    expect(realizedPnl(p)).toBe(u('9.84'));
  });

  it('flips a long through zero into a short, realizing only the closed part', () => {
    const p = run(fill('buy', '1', '100'), fill('sell', '3', '330'));
    expect(p.grossRealizedPnl).toBe(u('10'));
    expect(p.quantity).toBe(-u('2'));
    expect(p.costBasis).toBe(-u('220'));
    expect(averageEntryPrice(p)).toBe(u('110'));
    const covered = applyFillToPosition(p, fill('buy', '2', '210'));
    expect(covered.grossRealizedPnl).toBe(u('20'));
    expect(covered.quantity).toBe(0n);
  });
});

describe('unrealized PnL', () => {
  it('marks long and short positions to a price', () => {
    expect(unrealizedPnl(run(fill('buy', '2', '200')), u('105.5'))).toBe(u('11'));
    expect(unrealizedPnl(run(fill('sell', '2', '220')), u('100'))).toBe(u('20'));
  });

  it('rounds the marked value down, never overstating it', () => {
    const long = run({ ...fill('buy', '0', '0'), quantity: 3n, quote: 1n });
    expect(unrealizedPnl(long, u('0.5'))).toBe(0n); // 1.5 units marked as 1
    const short = run({ ...fill('sell', '0', '0'), quantity: 3n, quote: 1n });
    expect(unrealizedPnl(short, u('0.5'))).toBe(-1n); // -1.5 units marked as -2
  });
});

describe('position book and view', () => {
  it('applies a fill id once', () => {
    const book = new PositionBook();
    const f = fill('buy', '1', '100');
    expect(book.apply(f).applied).toBe(true);
    expect(book.apply(f).applied).toBe(false);
    expect(book.get(ALICE, 'sim', 'BTC-USDT')?.quantity).toBe(u('1'));
    expect(book.list(ALICE)).toHaveLength(1);
  });

  it('formats a position with canonical strings, and null marks when unpriced', () => {
    const p = run(fill('buy', '1', '100', '0.1'), fill('buy', '1', '101'), fill('buy', '1', '103'));
    expect(toPositionView(p, new Map([['BTC-USDT', u('102')]]))).toEqual({
      venue: 'sim',
      symbol: 'BTC-USDT',
      quantity: '3',
      averageEntryPrice: '101.333333333333333333',
      realizedPnl: '-0.1',
      unrealizedPnl: '2',
      markPrice: '102',
    });
    expect(toPositionView(p, new Map())).toMatchObject({ unrealizedPnl: null, markPrice: null });
  });
});
