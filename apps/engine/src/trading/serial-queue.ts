import { AppError } from '@qt/shared';

/**
 * Calls a caller may queue on one account before new ones are refused. A person or a script waits for
 * each answer; a thousand calls queued on one account means a client firing without waiting, and every
 * queued call holds its request in memory. Refused at once with RATE_LIMITED rather than queued.
 */
export const MAX_QUEUED_CALLS_PER_ACCOUNT = 1_000;

/**
 * One promise chain per key (a paper account): tasks of one key run one at a time, in the order they were
 * queued, so the in-memory ledger and the database move in step; tasks of different keys run concurrently.
 *
 * Two ways in: `run` for the engine's own work on an account (market events, recovery, the persistence
 * hold's drain), which must never be refused and is bounded where it comes from; `runCall` for calls
 * made by people and scripts (orders, cancels, funding), bounded per account.
 */
export class KeyedSerialQueue {
  readonly #tails = new Map<string, Promise<unknown>>();
  readonly #calls = new Map<string, number>();
  readonly #maxCalls: number;

  constructor(maxCallsPerKey = MAX_QUEUED_CALLS_PER_ACCOUNT) {
    this.#maxCalls = maxCallsPerKey;
  }

  run<T>(key: string, task: () => Promise<T> | T): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.catch(() => {});
    this.#tails.set(key, tail);
    // Forget idle keys, so the map holds only accounts with work queued.
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return result;
  }

  /** A caller's task: refused with RATE_LIMITED when the account already has the bound queued. */
  runCall<T>(key: string, task: () => Promise<T> | T): Promise<T> {
    const queued = this.#calls.get(key) ?? 0;
    if (queued >= this.#maxCalls) {
      return Promise.reject(
        new AppError(
          'RATE_LIMITED',
          `This account already has ${this.#maxCalls} calls waiting. Wait for answers before sending more.`,
          { limit: this.#maxCalls, scope: 'account-queue', retryAfterSeconds: 1 },
        ),
      );
    }
    this.#calls.set(key, queued + 1);
    const result = this.run(key, task);
    const done = () => {
      const left = (this.#calls.get(key) ?? 1) - 1;
      if (left <= 0) this.#calls.delete(key);
      else this.#calls.set(key, left);
    };
    result.then(done, done);
    return result;
  }

  /** Calls queued on `key` now (tests, metrics). */
  queuedCalls(key: string): number {
    return this.#calls.get(key) ?? 0;
  }

  /** Resolves once every task queued so far (on every key) has finished. */
  async idle(): Promise<void> {
    while (this.#tails.size > 0) await Promise.all([...this.#tails.values()]);
  }
}
