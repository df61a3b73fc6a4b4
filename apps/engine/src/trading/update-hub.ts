import { AppError } from '@qt/shared';

/**
 * In-process fan-out of live updates per account (orders, fills, balances) to API subscriptions. Each
 * subscriber has a bounded queue: one that falls that far behind is ended with SERVICE_UNAVAILABLE (it
 * re-subscribes and re-reads) rather than growing without bound or silently missing updates.
 */
export class UpdateHub<T> {
  readonly #subscribers = new Map<string, Set<Subscriber<T>>>();
  readonly #capacity: number;

  constructor(capacity = 1_000) {
    this.#capacity = capacity;
  }

  publish(accountId: string, value: T): void {
    for (const s of this.#subscribers.get(accountId) ?? []) s.push(value);
  }

  subscriberCount(accountId: string): number {
    return this.#subscribers.get(accountId)?.size ?? 0;
  }

  subscribe(accountId: string, signal: AbortSignal): AsyncIterable<T> {
    const hub = this;
    return {
      [Symbol.asyncIterator]() {
        const sub = new Subscriber<T>(hub.#capacity);
        let set = hub.#subscribers.get(accountId);
        if (!set) {
          set = new Set();
          hub.#subscribers.set(accountId, set);
        }
        set.add(sub);
        const close = () => {
          const s = hub.#subscribers.get(accountId);
          if (s?.delete(sub) && s.size === 0) hub.#subscribers.delete(accountId);
          sub.end();
        };
        if (signal.aborted) close();
        else signal.addEventListener('abort', close, { once: true });
        return {
          next: () => sub.next(),
          return: async () => {
            signal.removeEventListener('abort', close);
            close();
            return { done: true, value: undefined };
          },
        };
      },
    };
  }
}

class Subscriber<T> {
  readonly #queue: T[] = [];
  readonly #capacity: number;
  #waiting: ((r: IteratorResult<T>) => void) | null = null;
  #failWaiting: ((err: unknown) => void) | null = null;
  #ended = false;
  #error: AppError | null = null;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  push(value: T): void {
    if (this.#ended) return;
    if (this.#waiting) {
      const resolve = this.#waiting;
      this.#waiting = null;
      this.#failWaiting = null;
      resolve({ done: false, value });
      return;
    }
    if (this.#queue.length >= this.#capacity) {
      this.#error = new AppError(
        'SERVICE_UNAVAILABLE',
        'This live update stream fell too far behind and was closed. Subscribe again and re-read the current state.',
      );
      this.end();
      return;
    }
    this.#queue.push(value);
  }

  end(): void {
    this.#ended = true;
    if (this.#waiting) {
      const resolve = this.#waiting;
      const fail = this.#failWaiting;
      this.#waiting = null;
      this.#failWaiting = null;
      if (this.#error && fail) fail(this.#error);
      else resolve({ done: true, value: undefined });
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#queue.length > 0) return Promise.resolve({ done: false, value: this.#queue.shift() as T });
    if (this.#error) return Promise.reject(this.#error);
    if (this.#ended) return Promise.resolve({ done: true, value: undefined });
    return new Promise((resolve, reject) => {
      this.#waiting = resolve;
      this.#failWaiting = reject;
    });
  }
}
