import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ShutdownStack } from '../../src/lifecycle/shutdown-stack.ts';

const logger = pino({ level: 'silent' });

// Review finding 3: the API and market intake could take the whole shutdown budget between them and
// leave the strategies 50 ms, so their release never ran and every deployment got a crash strike.
describe('shutdown budget shares', () => {
  it('keeps a later step its share of the deadline when an earlier step hangs', async () => {
    const stack = new ShutdownStack();
    let lateBudget = 0;
    let lateDone = false;
    stack.push(
      'late',
      async (budget) => {
        lateBudget = budget;
        // Needs a fifth of the deadline: within its 0.4 share, far beyond the old 50 ms floor.
        await new Promise((r) => setTimeout(r, 200));
        lateDone = true;
      },
      0.4,
    );
    stack.push('hangs', () => new Promise<void>(() => {}));
    const started = performance.now();
    await stack.run(logger, 1_000);
    expect(lateDone).toBe(true);
    expect(lateBudget).toBeGreaterThanOrEqual(300);
    // The whole run stays near the deadline (a generous margin for a loaded machine).
    expect(performance.now() - started).toBeLessThan(2_500);
  });

  it('gives a step what earlier fast steps left, minus the later shares, and runs `first` steps first', async () => {
    const stack = new ShutdownStack();
    const budgets: Record<string, number> = {};
    const order: string[] = [];
    const step = (name: string) => async (budget: number) => {
      budgets[name] = budget;
      order.push(name);
    };
    stack.push('db', step('db'), 0.25);
    stack.push('api', step('api'));
    stack.first('marker', step('marker'), 0.05);
    await stack.run(logger, 1_000);
    expect(order).toEqual(['marker', 'api', 'db']);
    // marker: everything but the db's share; api: the same minus what the marker took; db: the rest.
    expect(budgets.marker).toBeGreaterThan(600);
    expect(budgets.marker).toBeLessThanOrEqual(750);
    expect(budgets.api).toBeLessThanOrEqual(750);
    expect(budgets.db).toBeGreaterThan(600);
  });
});
