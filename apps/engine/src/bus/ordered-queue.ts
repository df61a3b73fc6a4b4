/**
 * A live subscriber's inbox: handled one at a time, in order, and bounded. A subscriber that falls
 * further behind than `maxPending` loses messages (counted), as NATS does to a slow consumer, so one
 * stuck browser tab can never grow the engine's heap without limit.
 */
export class OrderedQueue<T> {
  readonly #queue: T[] = [];
  #head = 0;
  #running: Promise<void> | undefined;
  #stopped = false;
  dropped = 0;

  constructor(
    private readonly maxPending: number,
    private readonly handle: (item: T) => Promise<void>,
    private readonly onDrop: () => void = () => {},
  ) {}

  push(item: T): void {
    if (this.#stopped) return;
    if (this.#queue.length - this.#head >= this.maxPending) {
      this.dropped++;
      this.onDrop();
      return;
    }
    this.#queue.push(item);
    this.#running ??= this.#drain();
  }

  async #drain(): Promise<void> {
    await Promise.resolve(); // deliver after the publisher's call returns, as a network bus would
    while (!this.#stopped && this.#head < this.#queue.length) {
      const item = this.#queue[this.#head++] as T;
      if (this.#head > 1_024 && this.#head * 2 > this.#queue.length) {
        this.#queue.splice(0, this.#head);
        this.#head = 0;
      }
      await this.handle(item);
    }
    this.#running = undefined;
  }

  /** Nothing queued and no handler running. */
  get idle(): boolean {
    return this.#running === undefined && this.#head >= this.#queue.length;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    this.#queue.length = 0;
    this.#head = 0;
    await this.#running;
  }
}
