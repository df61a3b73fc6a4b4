import { AMOUNT_SCALE, parseScaled } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { DeploymentPnlFold, deploymentPnl, type TimedFill } from '../../src/positions/deployment-pnl.ts';

const u = (s: string) => parseScaled(s, AMOUNT_SCALE);
let n = 0;
const fill = (
  side: 'buy' | 'sell',
  qty: string,
  quote: string,
  fee: string,
  symbol = 'BTC-USDT',
): TimedFill => ({
  fillId: `f${++n}`,
  accountId: 'a',
  venue: 'binance',
  symbol,
  side,
  quantity: u(qty),
  quote: u(quote),
  fee: u(fee),
  time: 1_000 * n,
});

describe('deploymentPnl', () => {
  it('realizes exactly on a round trip, net of fees, with the curve after each fill', () => {
    const r = deploymentPnl(
      'a',
      [
        fill('buy', '0.3', '30000.3', '0.03'),
        fill('sell', '0.1', '10100.1', '0.01'),
        fill('sell', '0.2', '19800', '0.02'),
      ],
      new Map(),
    );
    // Sold 0.1 of a 0.3 basis of 30000.3 (a third: 10000.1) for 10100.1 -> +100; the rest (20000.2) for 19800 -> -200.2.
    expect(r.realizedPnl).toBe('-100.26');
    expect(r.fees).toBe('0.06');
    expect(r.unrealizedPnl).toBe('0');
    expect(r.netPnl).toBe('-100.26');
    expect(r.curve.map((c) => c.pnl)).toEqual(['-0.03', '99.96', '-100.26']);
    expect(r.positions[0]).toMatchObject({ quantity: '0', averageEntryPrice: null });
  });

  it('marks open positions; no mark -> unrealized and net are null; instruments kept apart', () => {
    const fills = [fill('buy', '1', '100', '0.1', 'ETH-USDT'), fill('buy', '0.5', '30000', '0', 'BTC-USDT')];
    const marked = deploymentPnl(
      'a',
      fills,
      new Map([
        ['binance:ETH-USDT', u('110')],
        ['binance:BTC-USDT', u('59000')],
      ]),
    );
    // ETH: 110 - 100 = +10; BTC: 0.5 x 59000 - 30000 = -500.
    expect(marked.unrealizedPnl).toBe('-490');
    expect(marked.realizedPnl).toBe('-0.1');
    expect(marked.netPnl).toBe('-490.1');
    expect(marked.positions.map((p) => [p.symbol, p.quantity, p.averageEntryPrice])).toEqual([
      ['ETH-USDT', '1', '100'],
      ['BTC-USDT', '0.5', '60000'],
    ]);
    const unmarked = deploymentPnl('a', fills, new Map([['binance:ETH-USDT', u('110')]]));
    expect(unmarked.unrealizedPnl).toBeNull();
    expect(unmarked.netPnl).toBeNull();
  });

  it('thins a long curve as it grows, keeping the first and the last point', () => {
    const fills: TimedFill[] = [];
    for (let i = 0; i < 2_000; i++)
      fills.push(fill(i % 2 === 0 ? 'buy' : 'sell', '1', i % 2 === 0 ? '100' : '101', '0'));
    const r = deploymentPnl('a', fills, new Map(), 100);
    expect(r.curve.length).toBeLessThanOrEqual(201);
    expect(r.curve.length).toBeGreaterThanOrEqual(100);
    expect(r.curve[0]?.time).toBe(fills[0]?.time);
    expect(r.curve.at(-1)).toEqual({ time: fills.at(-1)?.time, pnl: '1000' });
    expect(r.fills).toBe(2_000);
    // Evenly spaced in fills: consecutive points (but the last) are the same number of fills apart.
    const gaps = new Set(r.curve.slice(1, -1).map((c, i) => c.time - (r.curve[i]?.time ?? 0)));
    expect(gaps.size).toBe(1);
  });

  it("keeps one venue's mark to that venue (the same symbol on two venues)", () => {
    const a = { ...fill('buy', '1', '100', '0'), venue: 'binance' };
    const b = { ...fill('buy', '1', '100', '0'), venue: 'okx' };
    const r = deploymentPnl(
      'a',
      [a, b],
      new Map([
        ['binance:BTC-USDT', u('110')],
        ['okx:BTC-USDT', u('90')],
      ]),
    );
    expect(r.unrealizedPnl).toBe('0');
    expect(r.positions.map((p) => [p.venue, p.unrealizedPnl])).toEqual([
      ['binance', '10'],
      ['okx', '-10'],
    ]);
  });

  it('folds incrementally to the same result as all at once', () => {
    const fills = [
      fill('buy', '0.3', '30000.3', '0.03'),
      fill('sell', '0.1', '10100.1', '0.01'),
      fill('sell', '0.2', '19800', '0.02'),
    ];
    const fold = new DeploymentPnlFold('a');
    fold.add(fills[0] as TimedFill);
    fold.result(new Map());
    for (const f of fills.slice(1)) fold.add(f);
    expect(fold.result(new Map())).toEqual(deploymentPnl('a', fills, new Map()));
  });
});
