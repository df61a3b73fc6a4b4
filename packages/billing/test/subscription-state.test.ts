import { describe, expect, it } from 'vitest';
import {
  accessOf,
  entitlementStatusOf,
  grantsAccess,
  isTerminal,
  mergeSnapshot,
  planTierOf,
  type SubscriptionSnapshot,
} from '../src/subscription-state.ts';

describe('accessOf', () => {
  it.each([
    ['trialing', 'active'],
    ['active', 'active'],
    ['past_due', 'grace'],
    ['unpaid', 'ended'],
    ['canceled', 'ended'],
    ['incomplete_expired', 'ended'],
    ['incomplete', 'none'],
    ['paused', 'none'],
    ['some_future_status', 'none'],
    ['toString', 'none'],
  ])('%s -> %s', (status, access) => {
    expect(accessOf(status)).toBe(access);
  });

  it('grants access only while active or in grace', () => {
    expect(['active', 'grace', 'none', 'ended'].map((a) => grantsAccess(a as never))).toEqual([
      true,
      true,
      false,
      false,
    ]);
  });

  it('only canceled and incomplete_expired are terminal', () => {
    expect(
      [
        'trialing',
        'active',
        'past_due',
        'unpaid',
        'canceled',
        'incomplete',
        'incomplete_expired',
        'paused',
      ].filter(isTerminal),
    ).toEqual(['canceled', 'incomplete_expired']);
  });
});

describe('planTierOf', () => {
  it('is FREE without plan subscriptions', () => {
    expect(planTierOf([])).toBe('FREE');
  });
  it('two plan subscriptions -> the highest live tier', () => {
    expect(
      planTierOf([
        { planTier: 'PRO', access: 'active' },
        { planTier: 'ENTERPRISE', access: 'active' },
      ]),
    ).toBe('ENTERPRISE');
    expect(
      planTierOf([
        { planTier: 'ENTERPRISE', access: 'active' },
        { planTier: 'PRO', access: 'active' },
      ]),
    ).toBe('ENTERPRISE');
  });
  it('ignores ended and unpaid-yet subscriptions; grace keeps the tier', () => {
    expect(
      planTierOf([
        { planTier: 'ENTERPRISE', access: 'ended' },
        { planTier: 'PRO', access: 'grace' },
      ]),
    ).toBe('PRO');
    expect(planTierOf([{ planTier: 'ENTERPRISE', access: 'none' }])).toBe('FREE');
    expect(planTierOf([{ planTier: null, access: 'active' }])).toBe('FREE');
  });
  it('past_due is grace (tier kept), unpaid/canceled end it', () => {
    expect(planTierOf([{ planTier: 'PRO', access: accessOf('past_due') }])).toBe('PRO');
    expect(planTierOf([{ planTier: 'PRO', access: accessOf('unpaid') }])).toBe('FREE');
    expect(planTierOf([{ planTier: 'PRO', access: accessOf('canceled') }])).toBe('FREE');
  });
});

describe('entitlementStatusOf', () => {
  it('active and grace grant, ended ends', () => {
    expect(entitlementStatusOf('active', null)).toBe('active');
    expect(entitlementStatusOf('grace', 'active')).toBe('active');
    expect(entitlementStatusOf('ended', 'active')).toBe('ended');
    expect(entitlementStatusOf('active', 'ended')).toBe('active');
  });
  it('none creates nothing and changes nothing', () => {
    expect(entitlementStatusOf('none', null)).toBeNull();
    expect(entitlementStatusOf('none', 'active')).toBe('active');
    expect(entitlementStatusOf('none', 'ended')).toBe('ended');
  });
});

/** A subscription's life as Stripe reports it, one snapshot per moment. */
const t = (day: number) => new Date(Date.UTC(2030, 0, day));
const snap = (status: string, extra: Partial<SubscriptionSnapshot> = {}): SubscriptionSnapshot => ({
  id: 'sub_1',
  status,
  cancelAtPeriodEnd: false,
  currentPeriodEnd: t(31),
  endedAt: null,
  ...extra,
});

function applyAll(snapshots: SubscriptionSnapshot[]): SubscriptionSnapshot | null {
  let stored: SubscriptionSnapshot | null = null;
  for (const s of snapshots) stored = mergeSnapshot(stored, s);
  return stored;
}

function permutations<T>(xs: T[]): T[][] {
  if (xs.length <= 1) return [xs];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}

describe('mergeSnapshot (duplicates and out-of-order delivery)', () => {
  it('a duplicate changes nothing', () => {
    const s = snap('active');
    expect(applyAll([s, s])).toEqual(s);
  });

  it('any order of reads of a subscription that ended converges on the end', () => {
    const life = [
      snap('incomplete'),
      snap('active'),
      snap('past_due'),
      snap('canceled', { endedAt: t(40) }),
      snap('active', { cancelAtPeriodEnd: true }),
    ];
    for (const order of permutations(life)) {
      const final = applyAll(order);
      expect(final?.status).toBe('canceled');
      expect(accessOf(final?.status as string)).toBe('ended');
    }
  });

  it('with retrieve-latest every delivery carries the same latest state, so all orders and duplicates agree', () => {
    const latest = snap('past_due');
    const deliveries = [
      'customer.subscription.created',
      'invoice.paid',
      'invoice.payment_failed',
      'invoice.paid',
    ];
    const results = permutations(deliveries).map((order) => applyAll(order.map(() => latest)));
    expect(new Set(results.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(accessOf(results[0]?.status as string)).toBe('grace');
  });

  it('cancel_at_period_end keeps access until the subscription actually ends', () => {
    const cancelling = snap('active', { cancelAtPeriodEnd: true });
    expect(accessOf(applyAll([snap('active'), cancelling])?.status as string)).toBe('active');
    const ended = applyAll([
      snap('active'),
      cancelling,
      snap('canceled', { cancelAtPeriodEnd: true, endedAt: t(31) }),
    ]);
    expect(accessOf(ended?.status as string)).toBe('ended');
  });

  it('a non-terminal newer read replaces an older non-terminal one (card updated: past_due -> active)', () => {
    expect(applyAll([snap('past_due'), snap('active')])?.status).toBe('active');
    expect(applyAll([snap('active'), snap('past_due')])?.status).toBe('past_due');
  });
});
