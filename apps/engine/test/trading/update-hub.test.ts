import { isAppError } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { KeyedSerialQueue } from '../../src/trading/serial-queue.ts';
import { UpdateHub } from '../../src/trading/update-hub.ts';

describe('UpdateHub', () => {
  it('delivers updates of its account only, in order, until the subscriber aborts', async () => {
    const hub = new UpdateHub<number>();
    const abort = new AbortController();
    const it = hub.subscribe('a', abort.signal)[Symbol.asyncIterator]();
    hub.publish('b', 99);
    hub.publish('a', 1);
    hub.publish('a', 2);
    expect(await it.next()).toEqual({ done: false, value: 1 });
    expect(await it.next()).toEqual({ done: false, value: 2 });
    const pending = it.next();
    abort.abort();
    expect(await pending).toEqual({ done: true, value: undefined });
    expect(hub.subscriberCount('a')).toBe(0);
  });

  it('ends a subscriber that falls more than its bound behind, with a code, instead of growing', async () => {
    const hub = new UpdateHub<number>(2);
    const it = hub.subscribe('a', new AbortController().signal)[Symbol.asyncIterator]();
    for (let i = 0; i < 5; i++) hub.publish('a', i);
    expect(await it.next()).toEqual({ done: false, value: 0 });
    expect(await it.next()).toEqual({ done: false, value: 1 });
    const err = await it.next().catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe('SERVICE_UNAVAILABLE');
  });
});

describe('KeyedSerialQueue', () => {
  it('runs the tasks of one key one at a time in order, and keeps going after a failure', async () => {
    const q = new KeyedSerialQueue();
    const log: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const first = q.run('a', async () => {
      await gate;
      log.push('a1');
    });
    const failing = q.run('a', () => {
      log.push('a2');
      throw new Error('boom');
    });
    const third = q.run('a', () => log.push('a3'));
    await q.run('b', () => log.push('b1'));
    expect(log).toEqual(['b1']);
    release();
    await first;
    await expect(failing).rejects.toThrow('boom');
    await third;
    expect(log).toEqual(['b1', 'a1', 'a2', 'a3']);
    await q.idle();
  });
});
