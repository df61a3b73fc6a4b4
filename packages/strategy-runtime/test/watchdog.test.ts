import { describe, expect, it } from 'vitest';
import { createCallWatch, enterCall, leaveCall, Watchdog } from '../src/index.ts';
import { LogRing } from '../src/sandbox/log-ring.ts';

describe('Watchdog', () => {
  function watched(budgetMs: number) {
    const expired: number[] = [];
    const watch = createCallWatch();
    return { watch, budgetMs, expired, expire: (ms: number) => expired.push(ms) };
  }

  it('expires a call that has run past its budget since its start, once', () => {
    const dog = new Watchdog();
    const w = watched(50);
    dog.add(w);
    enterCall(w.watch);
    const start = w.watch.started[0] as number;
    dog.tick(start + 10);
    dog.tick(start + 50);
    expect(w.expired).toEqual([]);
    dog.tick(start + 51);
    expect(w.expired).toEqual([51]);
    dog.tick(start + 500);
    expect(w.expired).toHaveLength(1);
    expect(dog.size).toBe(0);
  });

  it('does not add up calls that each stay within the budget', () => {
    const dog = new Watchdog();
    const w = watched(50);
    dog.add(w);
    let t = 0;
    for (let k = 0; k < 10; k++) {
      enterCall(w.watch);
      t = w.watch.started[0] as number;
      dog.tick(t + 40);
      leaveCall(w.watch);
      dog.tick(t + 45);
    }
    dog.tick(t + 1000); // not in a call
    expect(w.expired).toEqual([]);
    dog.remove(w);
  });
});

describe('LogRing', () => {
  it('keeps the last lines up to its capacity and at most its rate per second', () => {
    const ring = new LogRing(3, 2);
    const line = (message: string) => ({ level: 'info' as const, message, time: 0 });
    expect(ring.push(line('a'), 0)).toBe(true);
    expect(ring.push(line('b'), 10)).toBe(true);
    expect(ring.push(line('c'), 20)).toBe(false);
    expect(ring.push(line('forced'), 30, true)).toBe(true);
    expect(ring.push(line('d'), 1000)).toBe(true);
    expect(ring.push(line('e'), 1001)).toBe(true);
    expect(ring.toArray().map((l) => l.message)).toEqual(['forced', 'd', 'e']);
    expect(ring.dropped).toBe(1);
  });
});
