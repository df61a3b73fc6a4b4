/**
 * Messages pulled from a JetStream consumer, waiting to be handed to the handler in batches. The
 * pump pushes as they arrive; the handler loop takes up to `max` at once, waiting at most `maxWaitMs`
 * after the first for more. Bounded by the consumer's maxAckPending on the server side, given that the
 * caller drops redeliveries of messages it still holds (NatsBus.consumeBatch does).
 */
export class Inbox<T> {
  #items: T[] = [];
  #closed = false;
  #wake: (() => void) | undefined;

  push(item: T): void {
    this.#items.push(item);
    this.#notify();
  }

  close(): void {
    this.#closed = true;
    this.#notify();
  }

  /** Resolves with at least one item, or with none once closed and drained. */
  async takeBatch(max: number, maxWaitMs: number): Promise<T[]> {
    while (this.#items.length === 0) {
      if (this.#closed) return [];
      await this.#next();
    }
    if (this.#items.length < max && maxWaitMs > 0) {
      const deadline = performance.now() + maxWaitMs;
      while (this.#items.length < max && !this.#closed) {
        const left = deadline - performance.now();
        if (left <= 0) break;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([this.#next(), new Promise((r) => (timer = setTimeout(r, left)))]);
        clearTimeout(timer);
      }
    }
    return this.#items.splice(0, max);
  }

  #next(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }

  #notify(): void {
    const w = this.#wake;
    this.#wake = undefined;
    w?.();
  }
}
