import { describe, expect, it } from 'vitest';
import { type PublishForm, toPublishInput } from './publish-form-model';

const base: PublishForm = {
  strategyId: '0b6f5c1e-8a3d-4b8e-9a51-3f6f1c2d4e5f',
  version: 0,
  title: 'SMA crossover',
  summary: 'Trend following on BTC',
  description: '# How it works',
  tags: 'Trend, btc  momentum',
  instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
  intervals: ['1m', '5m'],
  tunable: [{ key: 'a', name: 'fast', min: '2', max: '50', default: '9' }],
  fixed: [{ key: 'b', name: 'quantity', value: '0.01' }],
  priceKind: 'month',
  amount: '19.99',
  trialDays: '7',
};

describe('toPublishInput', () => {
  it('builds the publish input with the price in integer cents', () => {
    const r = toPublishInput(base);
    expect(r).toEqual({
      ok: true,
      input: {
        strategyId: base.strategyId,
        title: 'SMA crossover',
        summary: 'Trend following on BTC',
        description: '# How it works',
        tags: ['trend', 'btc', 'momentum'],
        instruments: [{ venue: 'binance', symbol: 'BTC-USDT' }],
        intervals: ['1m', '5m'],
        tunableParams: [{ name: 'fast', min: 2, max: 50, default: 9 }],
        defaultParams: { quantity: 0.01 },
        price: { kind: 'recurring', amountCents: 1_999, interval: 'month', trialDays: 7 },
      },
    });
  });
  it('publishes free without an amount, and a chosen version when picked', () => {
    const r = toPublishInput({ ...base, priceKind: 'free', amount: 'whatever', version: 3 });
    expect(r.ok && r.input.price).toEqual({ kind: 'free' });
    expect(r.ok && r.input.version).toBe(3);
  });
  it('refuses prices outside $1..$10,000 and unparseable amounts', () => {
    expect(toPublishInput({ ...base, amount: '0.99' })).toEqual({
      ok: false,
      errors: { amount: 'Between $1.00 and $10,000.00.' },
    });
    expect(toPublishInput({ ...base, amount: '10000.01' }).ok).toBe(false);
    expect(toPublishInput({ ...base, amount: '10000' }).ok).toBe(true);
    expect(toPublishInput({ ...base, amount: '5.555' })).toEqual({
      ok: false,
      errors: { amount: 'At most two decimals (cents).' },
    });
    expect(toPublishInput({ ...base, trialDays: '91' })).toEqual({
      ok: false,
      errors: { trialDays: 'Whole days, 0 to 90.' },
    });
  });
  it('checks parameter rows by row', () => {
    const r = toPublishInput({
      ...base,
      tunable: [
        { key: 'a', name: 'fast', min: '10', max: '5', default: '7' },
        { key: 'c', name: 'slow', min: '1', max: '', default: '2' },
        { key: 'd', name: '', min: '', max: '', default: '' },
      ],
      fixed: [{ key: 'b', name: 'qty', value: 'x' }],
    });
    expect(r).toEqual({
      ok: false,
      errors: {
        'tunable.a': 'Need min ≤ default ≤ max.',
        'tunable.c': 'Fill in name, min, max and default.',
        'fixed.b': 'A name and a number.',
      },
    });
  });
  it('refuses a parameter both tunable and fixed', () => {
    const r = toPublishInput({ ...base, fixed: [{ key: 'b', name: 'fast', value: '3' }] });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors['fixed.b']).toMatch(/already a tunable/);
  });
  it('reports the contract’s own refusals by field', () => {
    const r = toPublishInput({ ...base, title: 'ab', tags: 'Not_A_Tag!' });
    expect(r.ok).toBe(false);
    expect(!r.ok && Object.keys(r.errors).sort()).toEqual(['tags', 'title']);
    expect(toPublishInput({ ...base, strategyId: '', intervals: [] })).toEqual({
      ok: false,
      errors: { strategyId: 'Pick one of your strategies.', intervals: 'Pick at least one interval.' },
    });
  });
});
