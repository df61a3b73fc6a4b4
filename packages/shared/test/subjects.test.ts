import { describe, expect, it } from 'vitest';
import {
  isValidPattern,
  patternWithin,
  subjectMatches,
  subjects,
  subjectToken,
} from '../src/bus/subjects.ts';

describe('subject scheme', () => {
  it('builds market subjects from safe tokens', () => {
    expect(subjects.marketTrades('binance', 'BTC-USDT')).toBe('market.trades.binance.BTC-USDT');
    expect(subjects.marketKlines('okx', 'ETH-USDT', '1m')).toBe('market.klines.okx.ETH-USDT.1m');
  });

  it.each(['', 'BTC.USDT', '*', '>', 'a b', 'x\n', 'é', 'a'.repeat(65)])('refuses the token %j', (bad) => {
    expect(() => subjectToken('symbol', bad)).toThrow(/invalid subject token/);
  });

  it.each([
    ['market.trades.>', 'market.trades.binance.BTC-USDT', true],
    ['market.trades.>', 'market.trades', false],
    ['market.trades.*', 'market.trades.binance.BTC-USDT', false],
    ['market.trades.*.*', 'market.trades.binance.BTC-USDT', true],
    ['market.*.binance.*', 'market.klines.binance.BTC-USDT', true],
    ['market.*.binance.*', 'market.klines.okx.BTC-USDT', false],
    ['market.trades.binance.BTC-USDT', 'market.trades.binance.BTC-USDT', true],
    ['market.trades.binance.BTC-USDT', 'market.trades.binance.BTC-USDTX', false],
    ['>', 'anything.at.all', true],
  ])('%s matches %s: %s (NATS semantics)', (pattern, subject, expected) => {
    expect(subjectMatches(pattern, subject)).toBe(expected);
  });

  it.each([
    ['market.trades.>', 'market.trades.>', true],
    ['market.trades.binance.*', 'market.trades.>', true],
    ['market.trades.*.BTC-USDT', 'market.trades.>', true],
    ['market.>', 'market.trades.>', false],
    ['>', 'market.trades.>', false],
    ['market.*.binance.BTC-USDT', 'market.trades.>', false],
    ['market.trades', 'market.trades.>', false],
  ])('%s is within %s: %s', (inner, outer, expected) => {
    expect(patternWithin(inner, outer)).toBe(expected);
  });

  it('validates patterns: > only last, tokens otherwise', () => {
    expect(isValidPattern('market.trades.>')).toBe(true);
    expect(isValidPattern('market.>.x')).toBe(false);
    expect(isValidPattern('market..x')).toBe(false);
  });
});
