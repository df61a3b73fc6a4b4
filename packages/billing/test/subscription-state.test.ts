import { describe, expect, it } from 'vitest';
import {
  accessOf,
  entitlementStatusOf,
  grantsAccess,
  isTerminal,
  listingEntitlementOf,
  mergeSnapshot,
  mustReread,
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

describe('listingEntitlementOf', () => {
  it('paused ends the entitlement (nobody pays meanwhile); resumed grants it again', () => {
    expect(listingEntitlementOf('paused', 'active')).toBe('ended');
    expect(listingEntitlementOf('paused', null)).toBe('ended');
    expect(listingEntitlementOf('active', 'ended')).toBe('active');
    expect(listingEntitlementOf('past_due', 'active')).toBe('active');
    expect(listingEntitlementOf('incomplete', null)).toBeNull();
    expect(listingEntitlementOf('incomplete', 'active')).toBe('active');
    expect(listingEntitlementOf('canceled', 'active')).toBe('ended');
  });
  it('paused takes the plan tier to FREE', () => {
    expect(planTierOf([{ planTier: 'PRO', access: accessOf('paused') }])).toBe('FREE');
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

  it('reads of DIFFERENT states applied in any order end on the newest (re-read when the row is newer)', () => {
    // Stripe's history: state i from time 10*i on. Reconciliation pages read at 0, 10, 20, 30 are applied
    // at 35, 36, ... in every order; each commit stamps the row with its time, as updated_at does.
    const history = [
      snap('incomplete'),
      snap('active'),
      snap('past_due'),
      snap('active', { cancelAtPeriodEnd: true }),
    ];
    const stripeAt = (time: number) => history[Math.min(history.length - 1, Math.floor(time / 10))];
    const orders = permutations([0, 10, 20, 30]);
    const outcome = (reread: boolean) =>
      orders.map((order) => {
        let stored: SubscriptionSnapshot | null = null;
        let updatedAt: number | null = null;
        let now = 35;
        for (const readAt of order) {
          now++;
          const incoming = (
            reread && mustReread(updatedAt, readAt, 0) ? stripeAt(now) : stripeAt(readAt)
          ) as SubscriptionSnapshot;
          stored = mergeSnapshot(stored, incoming);
          updatedAt = now;
        }
        return stored;
      });
    for (const final of outcome(true)) expect(final).toEqual(history[3]);
    // The same orders without the re-read: the last applied read wins, whatever its age (the bug).
    expect(outcome(false).filter((f) => f !== history[3]).length).toBeGreaterThan(0);
  });

  it('mustReread: only when the stored row was written at or after the read (within the skew)', () => {
    expect(mustReread(null, 1_000, 0)).toBe(false);
    expect(mustReread(999, 1_000, 0)).toBe(false);
    expect(mustReread(1_000, 1_000, 0)).toBe(true);
    expect(mustReread(2_000, 1_000, 0)).toBe(true);
    expect(mustReread(950, 1_000, 60)).toBe(true);
    expect(mustReread(900, 1_000, 60)).toBe(false);
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

  it('[active, past_due]: mergeSnapshot keeps the order it is given; an older past_due read after a newer active commit is re-read', () => {
    // mergeSnapshot does not order non-terminal snapshots (they carry no version); the caller hands the
    // newer READ last. Card updated: past_due read at 20, active read at 30 and committed at 31.
    expect(applyAll([snap('past_due'), snap('active')])?.status).toBe('active');
    const committedAt = 31;
    const lateReadAt = 20;
    expect(mustReread(committedAt, lateReadAt, 0)).toBe(true);
    const stripeNow = snap('active');
    const stored = mergeSnapshot(
      snap('active'),
      mustReread(committedAt, lateReadAt, 0) ? stripeNow : snap('past_due'),
    );
    expect(stored.status).toBe('active');
  });
});
