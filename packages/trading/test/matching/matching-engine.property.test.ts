import type { OrderStatus } from '@qt/shared';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { MatchingEvent, OrderSnapshot } from '../../src/matching/index.ts';
import { cents, encode, harness, u } from './harness.ts';

/** Prices around 100.00 in cents; tick 0.01, lot 0.001 (see harness). */
const MID = 10_000;
const lots = (n: number) => (n / 1000).toFixed(3); // n whole lots as a decimal string (exact for n < 2^53/1000)

const command = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('place' as const),
      side: fc.constantFrom('buy' as const, 'sell' as const),
      type: fc.constantFrom(
        'market' as const,
        'limit' as const,
        'stop_market' as const,
        'stop_limit' as const,
      ),
      timeInForce: fc.constantFrom('GTC' as const, 'IOC' as const, 'FOK' as const),
      postOnly: fc.boolean(),
      lots: fc.integer({ min: 50, max: 3_000 }),
      priceOffset: fc.integer({ min: -30, max: 30 }),
      stopOffset: fc.integer({ min: -30, max: 30 }),
      account: fc.constantFrom('a', 'b'),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('cancel' as const), pick: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('cancelAll' as const), account: fc.constantFrom('a', 'b') }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('trade' as const),
      offset: fc.integer({ min: -30, max: 30 }),
      lots: fc.integer({ min: 1, max: 3_000 }),
      takerSide: fc.constantFrom('buy' as const, 'sell' as const),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('quote' as const),
      offset: fc.integer({ min: -30, max: 30 }),
      spread: fc.integer({ min: 1, max: 5 }),
      bidLots: fc.integer({ min: 0, max: 3_000 }),
      askLots: fc.integer({ min: 0, max: 3_000 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 40 }) }),
  },
);

type Command = typeof command extends fc.Arbitrary<infer T> ? T : never;

function run(commands: readonly Command[], latencyMs: number): MatchingEvent[] {
  const h = harness({ latencyMs });
  const ids: string[] = [];
  for (const c of commands) {
    switch (c.kind) {
      case 'place': {
        const limited = c.type === 'limit' || c.type === 'stop_limit';
        const stop = c.type === 'stop_market' || c.type === 'stop_limit';
        const o = h.place({
          accountId: c.account,
          side: c.side,
          type: c.type,
          quantity: lots(c.lots),
          timeInForce: c.timeInForce,
          postOnly: c.postOnly && c.type === 'limit',
          ...(limited ? { price: cents(MID + c.priceOffset) } : {}),
          ...(stop ? { stopPrice: cents(MID + c.stopOffset) } : {}),
        });
        ids.push(o.id);
        break;
      }
      case 'cancel': {
        const id = ids[c.pick % Math.max(1, ids.length)];
        if (id) h.engine.cancelOrder('a', id) || h.engine.cancelOrder('b', id);
        break;
      }
      case 'cancelAll':
        h.engine.cancelAll(c.account);
        break;
      case 'trade':
        h.trade(cents(MID + c.offset), lots(c.lots), c.takerSide);
        break;
      case 'quote':
        h.quote(cents(MID + c.offset), lots(c.bidLots), cents(MID + c.offset + c.spread), lots(c.askLots));
        break;
      case 'wait':
        h.clock.advance(c.ms);
        h.engine.advance();
        break;
    }
  }
  return h.events;
}

const TERMINAL: ReadonlySet<OrderStatus> = new Set(['filled', 'canceled', 'rejected', 'expired']);
const ALLOWED: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  new: ['new', 'partially_filled', 'filled', 'canceled', 'rejected', 'expired'],
  partially_filled: ['partially_filled', 'filled', 'canceled', 'expired'],
  filled: [],
  canceled: [],
  rejected: [],
  expired: [],
};

const scenario = fc.record({
  commands: fc.array(command, { minLength: 1, maxLength: 120 }),
  latencyMs: fc.constantFrom(0, 0, 10, 25),
});

describe('paper matching properties', () => {
  it('never fills more than the order quantity, and the state agrees with the fills', () => {
    fc.assert(
      fc.property(scenario, ({ commands, latencyMs }) => {
        const filled = new Map<string, bigint>();
        for (const e of run(commands, latencyMs)) {
          if (e.type !== 'orderFilled') continue;
          expect(e.fill.quantity > 0n && e.fill.quantity % u('0.001') === 0n).toBe(true);
          const total = (filled.get(e.order.id) ?? 0n) + e.fill.quantity;
          filled.set(e.order.id, total);
          expect(total).toBe(e.order.filledQuantity);
          expect(total <= e.order.quantity).toBe(true);
          expect(e.order.status).toBe(total === e.order.quantity ? 'filled' : 'partially_filled');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('fills only at prices the order allows, and only after it reached the venue', () => {
    fc.assert(
      fc.property(scenario, ({ commands, latencyMs }) => {
        for (const e of run(commands, latencyMs)) {
          if (e.type !== 'orderFilled') continue;
          const o = e.order;
          expect(e.fill.time >= o.activeAt).toBe(true);
          if (o.price !== null) {
            expect(o.side === 'buy' ? e.fill.price <= o.price : e.fill.price >= o.price).toBe(true);
          }
          if (o.type === 'stop_market' || o.type === 'stop_limit') expect(o.triggered).toBe(true);
          if (e.fill.liquidity === 'maker') expect(o.price).toBe(e.fill.price);
          if (o.postOnly) expect(e.fill.liquidity).toBe('maker');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('makes only allowed state transitions, and nothing happens to an order once it is finished', () => {
    fc.assert(
      fc.property(scenario, ({ commands, latencyMs }) => {
        const last = new Map<string, OrderSnapshot>();
        const accepted = new Set<string>();
        for (const e of run(commands, latencyMs)) {
          const prev = last.get(e.order.id);
          if (prev) {
            expect(TERMINAL.has(prev.status)).toBe(false);
            expect(ALLOWED[prev.status]).toContain(e.order.status);
          } else {
            expect(['orderAccepted', 'orderRejected', 'orderCanceled']).toContain(e.type);
          }
          if (e.type === 'orderAccepted') {
            expect(accepted.has(e.order.id)).toBe(false);
            accepted.add(e.order.id);
          }
          if (e.type === 'orderRejected') expect(accepted.has(e.order.id)).toBe(false);
          if (e.type === 'orderFilled' || e.type === 'orderTriggered')
            expect(accepted.has(e.order.id)).toBe(true);
          last.set(e.order.id, e.order);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('produces byte-identical event logs for the same command sequence', () => {
    fc.assert(
      fc.property(scenario, ({ commands, latencyMs }) => {
        expect(encode(run(commands, latencyMs))).toBe(encode(run(commands, latencyMs)));
      }),
      { numRuns: 100 },
    );
  });
});
