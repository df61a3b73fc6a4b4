import { isAppError } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { AlertEvaluator, parseAlertRule, renderTemplate } from '../src/index.ts';

const base = { id: 'a1', tenantId: 't1', name: 'BTC breakout', venue: 'binance', symbol: 'BTC-USDT' };
const trade = (tradeId: string, price: string, ts: number) => ({
  venue: 'binance',
  symbol: 'BTC-USDT',
  tradeId,
  price,
  qty: '1',
  ts,
});

function refusal(input: unknown): string {
  try {
    parseAlertRule(input);
  } catch (err) {
    if (isAppError(err)) return `${err.code} ${err.message}`;
    throw err;
  }
  throw new Error('accepted');
}

describe('alert rules', () => {
  it('refuses a malformed price, an empty range and a bad template with VALIDATION_FAILED', () => {
    const trigger = { mode: 'once' };
    expect(refusal({ ...base, trigger, condition: { kind: 'price', op: 'above', value: '1e5' } })).toMatch(
      /^VALIDATION_FAILED .*condition/,
    );
    expect(
      refusal({
        ...base,
        trigger,
        condition: { kind: 'range', op: 'entersRange', low: '100', high: '100.0' },
      }),
    ).toMatch(/low must be below high/);
    expect(
      refusal({
        ...base,
        trigger,
        message: '{{constructor}}',
        condition: { kind: 'price', op: 'above', value: '1' },
      }),
    ).toMatch(/unknown placeholder \{\{constructor\}\}/);
  });

  it('refuses mixed intervals, a percentage move at bar close and a market alert without a market', () => {
    const rsi = { kind: 'rsi', interval: '1m', op: 'above', value: 70 };
    expect(
      refusal({
        ...base,
        trigger: { mode: 'oncePerBarClose', interval: '5m' },
        condition: { kind: 'all', conditions: [rsi] },
      }),
    ).toMatch(/one interval/);
    expect(
      refusal({
        ...base,
        trigger: { mode: 'once' },
        condition: {
          kind: 'any',
          conditions: [rsi, { kind: 'percentMove', direction: 'up', percent: '1', windowMs: 60_000 }],
        },
      }),
    ).toMatch(/percentage move/);
    expect(
      refusal({
        ...base,
        symbol: undefined,
        trigger: { mode: 'once' },
        condition: { kind: 'price', op: 'above', value: '1' },
      }),
    ).toMatch(/names its venue and symbol/);
  });

  it('renders placeholders once, as plain text, without re-expanding values', () => {
    const out = renderTemplate('{{symbol}} hit {{price}} {{ indicator }} {{interval}}', {
      symbol: 'X{{price}}\nY',
      price: '100.5',
    });
    expect(out).toBe('X{{price}} Y hit 100.5 - -');
  });
});

describe('crossing semantics on trades', () => {
  it('counts touching the level as crossing it and does not fire again when leaving from the level', () => {
    const ev = new AlertEvaluator();
    ev.add({
      ...base,
      trigger: { mode: 'every', cooldownMs: 1_000 },
      condition: { kind: 'price', op: 'crossesUp', value: '100' },
    });
    const fired = (id: string, price: string, ts: number) =>
      ev.onTrade(trade(id, price, ts)).map((f) => f.id);
    expect(fired('1', '99.9', 1_000)).toEqual([]);
    expect(fired('2', '100.00', 5_000)).toEqual(['a1:t:2']);
    expect(fired('3', '101', 9_000)).toEqual([]);
    expect(fired('4', '99', 13_000)).toEqual([]);
    expect(fired('5', '100.1', 17_000)).toEqual(['a1:t:5']);
  });

  it('compares exactly where doubles cannot tell prices apart (18 decimals)', () => {
    const ev = new AlertEvaluator();
    const up = (id: string, value: string) => ({
      ...base,
      id,
      trigger: { mode: 'once' },
      condition: { kind: 'price', op: 'crossesUp', value },
    });
    ev.add(up('a1', '100.000000000000000001'));
    ev.add(up('a2', '100.000000000000000002'));
    ev.add(up('a3', '100'));
    expect(ev.onTrade(trade('1', '100', 1_000))).toHaveLength(0);
    expect(ev.onTrade(trade('2', '100.000000000000000001', 2_000)).map((f) => f.id)).toEqual(['a1:t:2']);
    expect(ev.onTrade(trade('3', '99.999999999999999999', 3_000))).toHaveLength(0);
    expect(ev.onTrade(trade('4', '100', 4_000)).map((f) => f.id)).toEqual(['a3:t:4']);
  });

  it('ignores late trades and duplicates of a trade id at the same time', () => {
    const ev = new AlertEvaluator();
    ev.add({
      ...base,
      trigger: { mode: 'every', cooldownMs: 1_000 },
      condition: { kind: 'price', op: 'crosses', value: '100' },
    });
    expect(ev.onTrade(trade('1', '99', 10_000))).toHaveLength(0);
    expect(ev.onTrade(trade('2', '101', 20_000))).toHaveLength(1);
    expect(ev.onTrade(trade('0', '99', 15_000))).toHaveLength(0);
    expect(ev.onTrade(trade('2', '101', 20_000))).toHaveLength(0);
    expect(ev.stats()).toMatchObject({ lateTrades: 1, duplicateTrades: 1, firings: 1 });
  });

  it('tells duplicates from new trades among many trades printed at the same millisecond', () => {
    const ev = new AlertEvaluator();
    ev.add({ ...base, trigger: { mode: 'once' }, condition: { kind: 'price', op: 'above', value: '1000' } });
    for (let i = 0; i < 40; i++) ev.onTrade(trade(`x${i}`, '99', 5_000));
    for (let i = 0; i < 40; i += 3) ev.onTrade(trade(`x${i}`, '1001', 5_000));
    expect(ev.stats()).toMatchObject({ duplicateTrades: 14, firings: 0 });
    expect(ev.onTrade(trade('x40', '1001', 5_000))).toHaveLength(1);
  });

  it('fires a level alert again after its cooldown without any new crossing, and a once alert only once', () => {
    const ev = new AlertEvaluator();
    ev.add({
      ...base,
      trigger: { mode: 'every', cooldownMs: 60_000 },
      condition: { kind: 'price', op: 'above', value: '100' },
    });
    ev.add({
      ...base,
      id: 'a2',
      trigger: { mode: 'once' },
      condition: { kind: 'price', op: 'above', value: '100' },
    });
    const ids = [0, 30_000, 59_999, 60_000, 61_000, 120_000].flatMap((t, i) =>
      ev.onTrade(trade(String(i), '101', t)).map((f) => `${f.id}${f.final ? '!' : ''}`),
    );
    expect(ids).toEqual(['a1:t:0', 'a2:t:0!', 'a1:t:3', 'a1:t:5']);
    expect(ev.isDone('a2')).toBe(true);
  });

  it('counts a move of exactly the percentage, where the double estimate falls short (91 -> 91.91 is 1%)', () => {
    const ev = new AlertEvaluator();
    const move = (direction: 'up' | 'down') => ({
      kind: 'percentMove',
      direction,
      percent: '1',
      windowMs: 60_000,
    });
    ev.add({ ...base, trigger: { mode: 'once' }, condition: move('up') });
    ev.add({ ...base, id: 'a2', trigger: { mode: 'once' }, condition: move('down') });
    expect(ev.onTrade(trade('1', '91', 1_000))).toHaveLength(0);
    expect(ev.onTrade(trade('2', '91.90', 2_000))).toHaveLength(0);
    expect(ev.onTrade(trade('3', '91.91', 3_000)).map((f) => f.id)).toEqual(['a1:t:3']);
    expect(ev.onTrade(trade('4', '91', 4_000))).toHaveLength(0);
    expect(ev.onTrade(trade('5', '90.9909', 5_000)).map((f) => f.id)).toEqual(['a2:t:5']);
  });

  it('renders the message with the trade values', () => {
    const ev = new AlertEvaluator();
    ev.add({
      ...base,
      trigger: { mode: 'once' },
      message: '{{alert}}: {{venue}} {{symbol}} {{price}} at {{time}}',
      condition: { kind: 'price', op: 'above', value: '100' },
    });
    const [f] = ev.onTrade(trade('7', '100.50', Date.UTC(2026, 0, 2, 3, 4, 5)));
    expect(f?.message).toBe('BTC breakout: binance BTC-USDT 100.50 at 2026-01-02T03:04:05.000Z');
  });
});

describe('data-quality alerts', () => {
  it('fires on matching events once per event id, with the pause request', () => {
    const ev = new AlertEvaluator();
    ev.add({
      id: 'dq',
      tenantId: 't1',
      name: 'feed watch',
      trigger: { mode: 'every', cooldownMs: 60_000 },
      message: '{{event}} on {{venue}} {{symbol}}',
      condition: { kind: 'dataQuality', events: ['feedStale'], venue: 'okx', pauseDeployment: true },
    });
    const stale = (id: string, venue: string, at: number) =>
      ev.onDataQuality({ kind: 'feedStale', id, venue, symbol: 'ETH-USDT', at });
    expect(stale('s1', 'binance', 1_000)).toHaveLength(0);
    const [f] = stale('s2', 'okx', 2_000);
    expect(f).toMatchObject({ id: 'dq:e:s2', pauseDeployment: true, message: 'feedStale on okx ETH-USDT' });
    expect(stale('s2', 'okx', 2_000)).toHaveLength(0);
    expect(stale('s3', 'okx', 30_000)).toHaveLength(0);
    expect(stale('s4', 'okx', 62_000)).toHaveLength(1);
    expect(ev.onDataQuality({ kind: 'gapDetected', id: 'g1', venue: 'okx', at: 70_000 })).toHaveLength(0);
  });
});
