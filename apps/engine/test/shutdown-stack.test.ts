import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ShutdownStack } from '../src/lifecycle/shutdown-stack.ts';

const logger = pino({ level: 'silent' });

describe('shutdown stack', () => {
  it('stops in reverse order and keeps going past a failure', async () => {
    const order: string[] = [];
    const stack = new ShutdownStack();
    stack.push('db', async () => void order.push('db'));
    stack.push('bus', async () => {
      order.push('bus');
      throw new Error('boom');
    });
    stack.push('server', async () => void order.push('server'));
    await stack.run(logger, 1_000);
    expect(order).toEqual(['server', 'bus', 'db']);
  });

  it('does not wait past the deadline for a step that hangs', async () => {
    const stack = new ShutdownStack();
    let reached = false;
    stack.push('after', async () => {
      reached = true;
    });
    stack.push('hangs', () => new Promise<void>(() => {}));
    const started = performance.now();
    await stack.run(logger, 100);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(reached).toBe(true);
  });
});
