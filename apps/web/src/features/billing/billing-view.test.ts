import { describe, expect, it } from 'vitest';
import {
  accessText,
  CHECKOUT_WAIT_MS,
  checkoutWait,
  entitlementWait,
  forgetCheckout,
  recallCheckout,
  rememberCheckout,
} from './billing-view';

describe('accessText', () => {
  it('says a failed renewal is being retried while access continues', () => {
    expect(accessText('grace').label).toBe('Payment failed, retrying');
    expect(accessText('grace').tone).toBe('amber');
    expect(accessText('active').label).toBe('Active');
    expect(accessText('ended').tone).toBe('red');
  });
});

describe('checkoutWait', () => {
  it('waits until the webhook granted the tier the checkout was for', () => {
    expect(checkoutWait({ overview: { tier: 'FREE' }, target: 'PRO', from: 'FREE', elapsedMs: 0 })).toBe(
      'waiting',
    );
    expect(checkoutWait({ overview: undefined, target: 'PRO', from: 'FREE', elapsedMs: 500 })).toBe(
      'waiting',
    );
    expect(checkoutWait({ overview: { tier: 'PRO' }, target: 'PRO', from: 'FREE', elapsedMs: 900 })).toBe(
      'confirmed',
    );
    // An upgrade from Pro to Enterprise is not confirmed by still being Pro.
    expect(
      checkoutWait({ overview: { tier: 'PRO' }, target: 'ENTERPRISE', from: 'PRO', elapsedMs: 900 }),
    ).toBe('waiting');
  });
  it('without a remembered target, any tier above the starting one counts', () => {
    expect(checkoutWait({ overview: { tier: 'PRO' }, target: null, from: null, elapsedMs: 0 })).toBe(
      'confirmed',
    );
    expect(checkoutWait({ overview: { tier: 'FREE' }, target: null, from: null, elapsedMs: 0 })).toBe(
      'waiting',
    );
  });
  it('gives up after thirty seconds', () => {
    expect(
      checkoutWait({ overview: { tier: 'FREE' }, target: 'PRO', from: 'FREE', elapsedMs: CHECKOUT_WAIT_MS }),
    ).toBe('timeout');
    expect(CHECKOUT_WAIT_MS).toBe(30_000);
  });
});

describe('pending checkout storage', () => {
  function memory() {
    const m = new Map<string, string>();
    return {
      getItem: (k: string) => m.get(k) ?? null,
      setItem: (k: string, v: string) => void m.set(k, v),
      removeItem: (k: string) => void m.delete(k),
      raw: m,
    };
  }
  it('round-trips and forgets', () => {
    const s = memory();
    rememberCheckout(s, { target: 'ENTERPRISE', from: 'PRO' });
    expect(recallCheckout(s)).toEqual({ target: 'ENTERPRISE', from: 'PRO' });
    forgetCheckout(s);
    expect(recallCheckout(s)).toBeNull();
  });
  it('ignores garbage', () => {
    const s = memory();
    s.raw.set('qt.billing.pendingCheckout', '{"target":"ROOT","from":"FREE"}');
    expect(recallCheckout(s)).toBeNull();
    s.raw.set('qt.billing.pendingCheckout', 'not json');
    expect(recallCheckout(s)).toBeNull();
  });
});

describe('entitlementWait', () => {
  it('waits for the entitlement, then gives up after thirty seconds', () => {
    expect(entitlementWait({ entitled: undefined, elapsedMs: 0 })).toBe('waiting');
    expect(entitlementWait({ entitled: false, elapsedMs: 29_999 })).toBe('waiting');
    expect(entitlementWait({ entitled: true, elapsedMs: 45_000 })).toBe('confirmed');
    expect(entitlementWait({ entitled: false, elapsedMs: 30_000 })).toBe('timeout');
  });
});
