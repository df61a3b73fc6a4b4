import { type Ctx, emit, type Handler } from '../context.ts';
import { invalidRequest } from '../errors.ts';
import { allow, int, requiredStr, str } from '../http/params.ts';
import { newId, paginate } from '../store.ts';
import type { Subscription, TestClock } from '../wire.ts';
import { nextDue, runDue } from './billing.ts';

// Guards a runaway advance (Stripe refuses to advance more than two intervals of the shortest
// subscription at once; the emulator allows more but bounds the work).
const maxStepsPerAdvance = 5_000;

function subscriptionsOn(ctx: Ctx, clock: string): Subscription[] {
  return ctx.store.oldestFirst('subscription').filter((s) => s.test_clock === clock);
}

/**
 * Moves the clock to `target`, performing everything due on its subscriptions in time order (a
 * renewal can cause a retry schedule, a retry can end a subscription), then marks the clock ready.
 */
function advance(ctx: Ctx, clock: TestClock, target: number): void {
  for (let steps = 0; steps < maxStepsPerAdvance; steps++) {
    let earliest: { sub: Subscription; at: number } | undefined;
    for (const sub of subscriptionsOn(ctx, clock.id)) {
      const at = nextDue(ctx, sub);
      if (at !== null && at <= target && (!earliest || at < earliest.at)) earliest = { sub, at };
    }
    if (!earliest) break;
    clock.frozen_time = earliest.at;
    runDue(ctx, earliest.sub, earliest.at);
  }
  clock.frozen_time = target;
  clock.status = 'ready';
  clock.status_details = {};
  emit(ctx, 'test_helpers.test_clock.ready', clock);
}

export const testClockRoutes: [string, string, Handler][] = [
  [
    'POST',
    '/v1/test_helpers/test_clocks',
    (ctx, p) => {
      allow(p, ['frozen_time', 'name']);
      const frozen = int(p, 'frozen_time');
      if (frozen === undefined) requiredStr(p, 'frozen_time');
      const clock: TestClock = {
        id: newId('clock'),
        object: 'test_helpers.test_clock',
        created: ctx.wallSeconds(),
        deletes_after: ctx.wallSeconds() + 30 * 86_400,
        frozen_time: frozen as number,
        livemode: false,
        name: str(p, 'name') ?? null,
        status: 'ready',
        status_details: {},
      };
      ctx.store.insert('test_helpers.test_clock', clock);
      emit(ctx, 'test_helpers.test_clock.created', clock);
      return clock;
    },
  ],
  [
    'GET',
    '/v1/test_helpers/test_clocks/:id',
    (ctx, _p, [id]) => ctx.store.get('test_helpers.test_clock', id as string),
  ],
  [
    'GET',
    '/v1/test_helpers/test_clocks',
    (ctx, p) => {
      allow(p, ['limit', 'starting_after', 'ending_before']);
      return paginate(ctx.store.all('test_helpers.test_clock'), p, '/v1/test_helpers/test_clocks');
    },
  ],
  [
    'DELETE',
    '/v1/test_helpers/test_clocks/:id',
    (ctx, _p, [id]) => {
      const clock = ctx.store.get('test_helpers.test_clock', id as string);
      ctx.store.remove('test_helpers.test_clock', clock.id);
      emit(ctx, 'test_helpers.test_clock.deleted', clock);
      return { id: clock.id, object: 'test_helpers.test_clock', deleted: true };
    },
  ],
  [
    'POST',
    '/v1/test_helpers/test_clocks/:id/advance',
    (ctx, p, [id]) => {
      allow(p, ['frozen_time']);
      const clock = ctx.store.get('test_helpers.test_clock', id as string);
      const target = int(p, 'frozen_time');
      if (target === undefined) requiredStr(p, 'frozen_time');
      if (clock.status !== 'ready') {
        throw invalidRequest(
          'The test clock is advancing; wait until its status is ready.',
          'frozen_time',
          'test_clock_not_ready',
        );
      }
      if ((target as number) <= clock.frozen_time) {
        throw invalidRequest(
          'The frozen_time must be after the current frozen_time of the test clock.',
          'frozen_time',
        );
      }
      // Like Stripe, answer `advancing` at once and do the work afterwards; callers poll until `ready`.
      clock.status = 'advancing';
      clock.status_details = { advancing: { target_frozen_time: target as number } };
      emit(ctx, 'test_helpers.test_clock.advancing', clock);
      const answer = structuredClone(clock);
      setImmediate(() => {
        try {
          advance(ctx, clock, target as number);
        } catch {
          // A bound was hit mid-way (object caps): Stripe's own answer to a failed advance.
          clock.status = 'internal_failure';
          emit(ctx, 'test_helpers.test_clock.internal_failure', clock);
        }
      });
      return answer;
    },
  ],
];
