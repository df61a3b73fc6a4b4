import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../observability/logger.ts';
import type { AlertPositions, AlertStore, FiringToStore } from './alert-store.ts';
import { isTransientCommitError } from './commit-errors.ts';
import { AlertsStoppingError } from './replay-positions.ts';

/**
 * Evaluated batches whose commit has not finished (the one committing included). Batches are small under
 * a light load and merge into one transaction when they wait (see CommitPipeline), so the count costs
 * little; the bound keeps the bookkeeping finite when the database stalls.
 */
export const MAX_UNCOMMITTED_BATCHES = 512;
/**
 * Firings evaluated and not committed yet (held in memory until their commit). Past it no batch is
 * evaluated (the bus holds the rest) until a commit frees room; a single batch larger than the bound is
 * still taken when the pipeline is empty (the evaluation cannot be split after the fact).
 */
export const MAX_UNCOMMITTED_FIRINGS = 10_000;
/**
 * Firings batches that waited may add up to in one transaction (a batch larger than this goes alone, as it
 * always did). Without a cap, the transaction after a stall held everything evaluated meanwhile: under a
 * swamped database it outgrew what commits within the transaction's time limit (Prisma's 5 s), failed
 * as transient, and was retried at the same size for ever.
 */
export const MAX_FIRINGS_PER_TRANSACTION = 1_000;
/** A failed commit is retried in place after this, doubling up to COMMIT_RETRY_MAX_MS. */
export const COMMIT_RETRY_BASE_MS = 100;
export const COMMIT_RETRY_MAX_MS = 5_000;
/**
 * Statements a commit refused for good (not a transient error) may spend isolating the bad firing(s) by
 * halving: enough to single out a few among thousands; past it the rest is dropped (logged) rather than
 * holding the stream.
 */
export const MAX_ISOLATION_STATEMENTS = 64;

/** One evaluated bus batch, waiting for its commit. */
export interface EvaluatedBatch {
  /** The evaluated position of every stream after this batch: what its commit records. */
  positions: Record<string, number>;
  firings: FiringToStore[];
  /**
   * Whether the positions are written even when the batch fired nothing (data-quality batches: their
   * committed position tells a replay which side effects ran). A batch of trades or candles that fired
   * nothing writes nothing: its position is recorded by the next commit that stores firings, or by the
   * next snapshot; a restart before that evaluates it again from the stored state and fires nothing
   * again (the evaluation is deterministic), so nothing is lost and nothing repeated.
   */
  mustWrite: boolean;
}

export interface CommitPipelineOptions<B extends EvaluatedBatch> {
  store: AlertStore;
  evaluatorId: string;
  bus: AlertPositions['bus'];
  leaseMs: number;
  logger: Logger;
  /** Aborted by the service's stop(): a failed commit is then not retried (see `abandoned`). */
  stopping: AbortSignal;
  /**
   * Runs once per batch, in evaluation order, right after the transaction holding it committed, with the
   * ids of the firings that transaction created (only those are shown and delivered). The set is the
   * transaction's, shared by its batches: the callback removes an id once it announced it, so a firing id
   * two merged batches both hold is announced once.
   */
  committed(batch: B, created: Set<string>): void;
  /**
   * Runs once, when a commit failed after stop() began: that batch and every later one are dropped (not
   * committed, nothing shown); the next start evaluates them again from the stored state.
   */
  abandoned(): void;
  stats: {
    commitFailures: number;
    firingsDropped: number;
    /** Transactions written (merged batches count once; batches with nothing to write not at all). */
    commitTransactions: number;
    commitMs: number;
    commitMaxMs: number;
  };
}

interface Entry<B> {
  batch: B;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * The alert consumer's commits, in evaluation order, one transaction at a time, while the evaluation of
 * later batches goes on: the commit of a batch used to hold the evaluation of the next, so one slow
 * commit (a checkpoint's fsync, a busy database) delayed every firing behind it by its whole length,
 * and the backlog it left then took several more commits to clear.
 *
 * - Order. Batches are pushed in evaluation order (the service evaluates under one lock) and committed in
 *   that order: a transaction holds a prefix of what is not committed yet, and records the positions of
 *   its last batch. So the stored positions never pass a batch whose firings are not stored, which is
 *   what the replay after a restart rests on (replay-positions.ts).
 * - Group commit. Batches that arrived while a transaction was in flight are committed together in the
 *   next one (their firings in order, the last batch's positions; up to MAX_FIRINGS_PER_TRANSACTION): a
 *   stall is followed by a few commits of everything evaluated meanwhile, not by a commit per batch. Concurrent transactions were not used: the
 *   positions row would serialise them anyway, a later one committing while an earlier one failed would
 *   store positions past lost firings, and a stalled WAL flush holds every commit alike.
 * - After the commit, never before: `committed` runs for each batch of the transaction, in order (the
 *   service shows and delivers the firings it created, unregisters finished alerts, stores a snapshot).
 * - Bounded: at most MAX_UNCOMMITTED_BATCHES batches and MAX_UNCOMMITTED_FIRINGS firings wait; room()
 *   holds the next evaluation until a commit frees room.
 * - Failures. A transient error (see isTransientCommitError) is retried in place with backoff (100 ms
 *   doubling to 5 s), the same transaction again: later batches wait behind it and are not committed.
 *   Any other error says the content is refused for good: the transaction is split by halving, so the bad
 *   firing(s) are dropped (logged) and the rest stored. Only stop() ends the retries: the failed batches
 *   and every later one are then dropped (`abandoned`, push and room reject with AlertsStoppingError).
 */
export class CommitPipeline<B extends EvaluatedBatch> {
  readonly #o: CommitPipelineOptions<B>;
  readonly #waiting: Entry<B>[] = [];
  /** Batches and firings pushed and not settled (waiting and in the transaction in flight). */
  #batches = 0;
  #firings = 0;
  #running: Promise<void> | null = null;
  #abandoned = false;
  #roomWaiters: Array<() => void> = [];
  #idleWaiters: Array<() => void> = [];

  constructor(o: CommitPipelineOptions<B>) {
    this.#o = o;
  }

  /** Batches pushed and not committed (nor dropped) yet. */
  get size(): number {
    return this.#batches;
  }

  get abandoned(): boolean {
    return this.#abandoned;
  }

  /** Resolves when another batch may be evaluated; rejects once the pipeline was abandoned. */
  async room(): Promise<void> {
    for (;;) {
      if (this.#abandoned) throw new AlertsStoppingError();
      if (
        this.#batches === 0 ||
        (this.#batches < MAX_UNCOMMITTED_BATCHES && this.#firings < MAX_UNCOMMITTED_FIRINGS)
      )
        return;
      await new Promise<void>((r) => this.#roomWaiters.push(r));
    }
  }

  /**
   * Queues an evaluated batch (after every batch pushed before it). Resolves once its transaction
   * committed and `committed` ran for it; rejects if it was dropped (a failure at stop).
   */
  push(batch: B): Promise<void> {
    if (this.#abandoned) return Promise.reject(new AlertsStoppingError());
    return new Promise<void>((resolve, reject) => {
      this.#waiting.push({ batch, resolve, reject });
      this.#batches++;
      this.#firings += batch.firings.length;
      this.#running ??= this.#run().finally(() => {
        this.#running = null;
        for (const w of this.#idleWaiters.splice(0)) w();
      });
    });
  }

  /** Resolves when nothing is waiting or committing: true when all was committed, false when abandoned. */
  async idle(): Promise<boolean> {
    while (this.#running) await new Promise<void>((r) => this.#idleWaiters.push(r));
    return !this.#abandoned;
  }

  async #run(): Promise<void> {
    while (this.#waiting.length > 0) {
      const group = this.#takeGroup();
      const last = group[group.length - 1] as Entry<B>;
      let created: Set<string>;
      try {
        created = await this.#commit(
          group.flatMap((e) => e.batch.firings),
          last.batch.positions,
          group.some((e) => e.batch.mustWrite || e.batch.firings.length > 0),
        );
      } catch (err) {
        this.#abandon(group, err);
        return;
      }
      for (const e of group) {
        this.#batches--;
        this.#firings -= e.batch.firings.length;
        try {
          this.#o.committed(e.batch, created);
          e.resolve();
        } catch (err) {
          // A bug in the after-commit work must not stop the pipeline: the batch IS committed.
          this.#o.logger.error({ err: errText(err) }, 'alert batch committed; its after-commit work failed');
          e.resolve();
        }
      }
      for (const w of this.#roomWaiters.splice(0)) w();
    }
  }

  /** The next transaction's batches: the oldest waiting, then more while MAX_FIRINGS_PER_TRANSACTION allows. */
  #takeGroup(): Entry<B>[] {
    let n = 1;
    let firings = (this.#waiting[0] as Entry<B>).batch.firings.length;
    for (; n < this.#waiting.length; n++) {
      firings += (this.#waiting[n] as Entry<B>).batch.firings.length;
      if (firings > MAX_FIRINGS_PER_TRANSACTION) break;
    }
    return this.#waiting.splice(0, n);
  }

  #abandon(group: Entry<B>[], err: unknown): void {
    this.#abandoned = true;
    const dropped = [...group, ...this.#waiting.splice(0)];
    this.#batches = 0;
    this.#firings = 0;
    this.#o.abandoned();
    this.#o.logger.warn(
      { err: errText(err), batches: dropped.length },
      'alert commit failed at stop: the batches not committed are left for the next start',
    );
    for (const e of dropped) e.reject(err);
    for (const w of this.#roomWaiters.splice(0)) w();
  }

  /**
   * One transaction for the firings of the batches taken, with the last one's positions; retried in
   * place on a transient error until it commits or stop() began (then thrown). Returns the ids created.
   */
  async #commit(
    firings: FiringToStore[],
    positions: Record<string, number>,
    write: boolean,
  ): Promise<Set<string>> {
    // Across attempts: an isolation interrupted by a transient error has stored some parts already.
    const created = new Set<string>();
    if (!write) return created;
    const o = this.#o;
    const committed = { bus: o.bus, streams: positions };
    const tc = performance.now();
    for (let attempt = 0; ; attempt++) {
      try {
        try {
          for (const id of await o.store.commitEvaluation(o.evaluatorId, firings, committed, o.leaseMs))
            created.add(id);
        } catch (err) {
          if (isTransientCommitError(err) || firings.length === 0) throw err;
          await this.#isolate(firings, committed, err, created);
        }
        break;
      } catch (err) {
        o.stats.commitFailures++;
        if (o.stopping.aborted) throw err;
        const delay = Math.min(COMMIT_RETRY_MAX_MS, COMMIT_RETRY_BASE_MS * 2 ** Math.min(attempt, 16));
        o.logger.warn(
          { err: errText(err), firings: firings.length, attempt: attempt + 1, retryInMs: delay },
          'alert commit failed: retrying the same batch',
        );
        await sleep(delay, undefined, { signal: o.stopping }).catch(() => undefined);
      }
    }
    const took = performance.now() - tc;
    o.stats.commitTransactions++;
    o.stats.commitMs += took;
    o.stats.commitMaxMs = Math.max(o.stats.commitMaxMs, took);
    return created;
  }

  /**
   * The commit was refused for good (`first`): halves are committed apart, down to single firings,
   * within MAX_ISOLATION_STATEMENTS statements; a firing refused alone (or left when the budget ran out)
   * is dropped and logged. Then the positions are written, so the batches are settled. A transient error
   * on the way is thrown (the caller retries the whole; stored parts are found stored, ON CONFLICT DO
   * NOTHING, and `created` keeps their ids).
   */
  async #isolate(
    toStore: FiringToStore[],
    committed: { bus: AlertPositions['bus']; streams: Record<string, number> },
    first: unknown,
    created: Set<string>,
  ): Promise<void> {
    const o = this.#o;
    const dropped: FiringToStore[] = [];
    let statements = 0;
    const half = Math.ceil(toStore.length / 2);
    const parts: FiringToStore[][] =
      toStore.length === 1 ? [] : [toStore.slice(half), toStore.slice(0, half)];
    if (toStore.length === 1) dropped.push(...toStore);
    let lastErr = first;
    for (let part = parts.pop(); part; part = parts.pop()) {
      if (statements >= MAX_ISOLATION_STATEMENTS) {
        dropped.push(...part, ...parts.splice(0).flat());
        break;
      }
      statements++;
      try {
        for (const id of await o.store.commitEvaluation(o.evaluatorId, part, null, o.leaseMs))
          created.add(id);
      } catch (err) {
        if (isTransientCommitError(err)) throw err;
        lastErr = err;
        if (part.length === 1) dropped.push(...part);
        else {
          const h = Math.ceil(part.length / 2);
          parts.push(part.slice(h), part.slice(0, h));
        }
      }
    }
    o.stats.firingsDropped += dropped.length;
    o.logger.error(
      {
        err: errText(lastErr),
        firings: toStore.length,
        dropped: dropped.slice(0, 20).map((d) => ({ id: d.firing.id, alertId: d.firing.alertId })),
        droppedCount: dropped.length,
      },
      'alert firings refused by the database: dropped, the rest of the batch stored',
    );
    await o.store.commitEvaluation(o.evaluatorId, [], committed, o.leaseMs);
  }
}

function errText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
