import type { Firing } from '@qt/alerts';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { AlertStore, CommittedPositions, FiringToStore } from '../../src/alerts/alert-store.ts';
import {
  CommitPipeline,
  type EvaluatedBatch,
  MAX_FIRINGS_PER_TRANSACTION,
  MAX_UNCOMMITTED_FIRINGS,
} from '../../src/alerts/commit-pipeline.ts';
import { AlertsStoppingError } from '../../src/alerts/replay-positions.ts';

/** A transient database error as Prisma reports it (lock not granted: 55P03). */
const lockTimeout = () =>
  Object.assign(new Error('lock timeout'), {
    meta: { driverAdapterError: { cause: { originalCode: '55P03' } } },
  });

const firing = (id: string): FiringToStore => ({
  firing: { id, alertId: 'a', tenantId: 't', final: false } as unknown as Firing,
  channelIds: [],
});

interface Batch extends EvaluatedBatch {
  name: string;
}

/** A store whose commits the test answers one by one (each call waits for `answer`). */
function fakeStore() {
  const calls: { ids: string[]; positions: CommittedPositions | null; answer(err?: Error): void }[] = [];
  let wake: () => void = () => undefined;
  const store = {
    commitEvaluation: (
      _evaluator: string,
      firings: readonly FiringToStore[],
      positions: CommittedPositions | null,
    ) =>
      new Promise<Set<string>>((resolve, reject) => {
        const ids = firings.map((f) => f.firing.id);
        calls.push({
          ids,
          positions,
          answer: (err) => (err ? reject(err) : resolve(new Set(ids))),
        });
        wake();
      }),
  } as unknown as AlertStore;
  const nextCall = async () => {
    const seen = calls.length;
    while (calls.length === seen) await new Promise<void>((r) => (wake = r));
    return calls[calls.length - 1] as (typeof calls)[number];
  };
  return { store, calls, nextCall };
}

function pipeline(store: AlertStore, stopping = new AbortController()) {
  const committed: { name: string; created: string[] }[] = [];
  let abandoned = 0;
  const stats = { commitFailures: 0, firingsDropped: 0, commitTransactions: 0, commitMs: 0, commitMaxMs: 0 };
  const p = new CommitPipeline<Batch>({
    store,
    evaluatorId: 'E',
    bus: 'nats',
    leaseMs: 60_000,
    logger: pino({ level: 'silent' }),
    stopping: stopping.signal,
    stats,
    committed: (b, created) => committed.push({ name: b.name, created: [...created].sort() }),
    abandoned: () => {
      abandoned++;
    },
  });
  return { p, committed, stats, stopping, abandonedCount: () => abandoned };
}

const batch = (name: string, seq: number, ids: string[], mustWrite = false): Batch => ({
  name,
  positions: { T: seq },
  firings: ids.map(firing),
  mustWrite,
});

describe('commit pipeline', () => {
  it('commits in order while later batches wait; those that waited go in one transaction', async () => {
    const { store, calls, nextCall } = fakeStore();
    const { p, committed, stats } = pipeline(store);
    const first = nextCall();
    const done1 = p.push(batch('b1', 1, ['f1']));
    const c1 = await first;
    // Pushed while b1's commit is in flight: not committed before it, nothing of them shown.
    const done2 = p.push(batch('b2', 2, ['f2']));
    const done3 = p.push(batch('b3', 3, []));
    const done4 = p.push(batch('b4', 4, ['f4']));
    expect(p.size).toBe(4);
    expect(calls).toHaveLength(1);
    expect(committed).toEqual([]);
    const second = nextCall();
    c1.answer();
    await done1;
    expect(committed).toEqual([{ name: 'b1', created: ['f1'] }]);
    const c2 = await second;
    // One transaction: the firings in order, the last batch's positions.
    expect(c2.ids).toEqual(['f2', 'f4']);
    expect(c2.positions).toEqual({ bus: 'nats', streams: { T: 4 } });
    c2.answer();
    await Promise.all([done2, done3, done4]);
    expect(committed.map((c) => c.name)).toEqual(['b1', 'b2', 'b3', 'b4']);
    expect(committed[1]?.created).toEqual(['f2', 'f4']);
    expect(stats.commitTransactions).toBe(2);
    expect(await p.idle()).toBe(true);
    expect(p.size).toBe(0);
  });

  it('batches that waited share a transaction only up to MAX_FIRINGS_PER_TRANSACTION firings', async () => {
    const { store, nextCall } = fakeStore();
    const { p, committed } = pipeline(store);
    const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
    const over = Math.floor(MAX_FIRINGS_PER_TRANSACTION / 2) + 1;
    let call = nextCall();
    const done = [p.push(batch('b1', 1, ['f1']))];
    const c1 = await call;
    done.push(p.push(batch('b2', 2, ids('x', over))), p.push(batch('b3', 3, ids('y', over))));
    call = nextCall();
    c1.answer();
    const c2 = await call;
    // b2 and b3 together exceed the cap: b2 alone, with its own positions.
    expect(c2.ids).toHaveLength(over);
    expect(c2.positions?.streams).toEqual({ T: 2 });
    call = nextCall();
    c2.answer();
    const c3 = await call;
    expect(c3.positions?.streams).toEqual({ T: 3 });
    c3.answer();
    await Promise.all(done);
    expect(committed.map((c) => c.name)).toEqual(['b1', 'b2', 'b3']);
  });

  it('a batch that fired nothing and need not write commits without a statement', async () => {
    const { store, calls } = fakeStore();
    const { p, committed } = pipeline(store);
    await p.push(batch('quiet', 7, []));
    expect(calls).toEqual([]);
    expect(committed.map((c) => c.name)).toEqual(['quiet']);
  });

  it('a transient failure is retried in place: later batches are not committed before it', async () => {
    const { store, calls, nextCall } = fakeStore();
    const { p, committed, stats } = pipeline(store);
    let call = nextCall();
    const done1 = p.push(batch('b1', 1, ['f1']));
    const done2 = p.push(batch('b2', 2, ['f2']));
    (await call).answer(lockTimeout());
    call = nextCall();
    const retry = await call;
    // The same transaction again (b1 alone: b2 came after it was taken), b2 still waiting behind it.
    expect(retry.ids).toEqual(['f1']);
    expect(committed).toEqual([]);
    expect(stats.commitFailures).toBe(1);
    call = nextCall();
    retry.answer();
    await done1;
    expect(committed.map((c) => c.name)).toEqual(['b1']);
    const c2 = await call;
    expect(c2.ids).toEqual(['f2']);
    c2.answer();
    await done2;
    expect(committed.map((c) => c.name)).toEqual(['b1', 'b2']);
    expect(calls).toHaveLength(3);
  });

  it('a failure at stop drops that batch and every later one; nothing more is taken', async () => {
    const { store, nextCall } = fakeStore();
    const { p, committed, stopping, abandonedCount } = pipeline(store);
    const call = nextCall();
    const done1 = p.push(batch('b1', 1, ['f1']));
    const c1 = await call;
    const done2 = p.push(batch('b2', 2, ['f2']));
    stopping.abort();
    c1.answer(lockTimeout());
    await expect(done1).rejects.toThrow('lock timeout');
    await expect(done2).rejects.toThrow('lock timeout');
    expect(committed).toEqual([]);
    expect(abandonedCount()).toBe(1);
    expect(await p.idle()).toBe(false);
    await expect(p.push(batch('b3', 3, []))).rejects.toBeInstanceOf(AlertsStoppingError);
    await expect(p.room()).rejects.toBeInstanceOf(AlertsStoppingError);
  });

  it('room() holds the next evaluation while the uncommitted firings are at their bound', async () => {
    const { store, nextCall } = fakeStore();
    const { p } = pipeline(store);
    const call = nextCall();
    // One batch larger than the bound is still taken when nothing waits.
    const big = Array.from({ length: MAX_UNCOMMITTED_FIRINGS }, (_, i) => `f${i}`);
    await p.room();
    const done = p.push(batch('big', 1, big));
    const c = await call;
    let room = false;
    const waiting = p.room().then(() => {
      room = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(room).toBe(false);
    c.answer();
    await done;
    await waiting;
    expect(room).toBe(true);
  });
});
