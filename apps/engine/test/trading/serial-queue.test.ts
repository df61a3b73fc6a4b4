import { AppError } from '@qt/shared';
import { describe, expect, it } from 'vitest';
import { KeyedSerialQueue } from '../../src/trading/serial-queue.ts';

describe('KeyedSerialQueue', () => {
  it('runs one key in order and keys concurrently', async () => {
    const q = new KeyedSerialQueue();
    const seen: string[] = [];
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const a1 = q.run('a', async () => {
      await gate;
      seen.push('a1');
    });
    const a2 = q.run('a', () => seen.push('a2'));
    const b1 = q.run('b', () => seen.push('b1'));
    await b1;
    expect(seen).toEqual(['b1']);
    release();
    await Promise.all([a1, a2]);
    expect(seen).toEqual(['b1', 'a1', 'a2']);
  });

  it('refuses callers past the per-account bound with RATE_LIMITED, and takes them again once answered', async () => {
    const q = new KeyedSerialQueue(3);
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const held = [q.runCall('acct', () => gate), q.runCall('acct', () => 1), q.runCall('acct', () => 2)];
    const refused = q.runCall('acct', () => 3);
    await expect(refused).rejects.toBeInstanceOf(AppError);
    await expect(refused).rejects.toMatchObject({ code: 'RATE_LIMITED', details: { limit: 3 } });
    // Another account is not affected, nor is the engine's own work on the same account.
    await expect(q.runCall('other', () => 'ok')).resolves.toBe('ok');
    const internal = q.run('acct', () => 'event applied');
    expect(q.queuedCalls('acct')).toBe(3);
    release();
    await Promise.all(held);
    await expect(internal).resolves.toBe('event applied');
    expect(q.queuedCalls('acct')).toBe(0);
    await expect(q.runCall('acct', () => 'again')).resolves.toBe('again');
  });

  it('frees the slot of a call that failed', async () => {
    const q = new KeyedSerialQueue(1);
    await expect(
      q.runCall('acct', () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    await expect(q.runCall('acct', () => 'next')).resolves.toBe('next');
  });
});
