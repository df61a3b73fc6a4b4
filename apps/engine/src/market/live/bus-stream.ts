import type { MessageBus, Topic } from '@qt/shared';

/**
 * A live bus subscription as an async iterable for a tRPC subscription: items queue up to `maxQueued`
 * (a slow client loses the oldest, it never grows the heap), and the bus subscription ends when the
 * client goes away (`signal`) or stops iterating.
 */
export async function* busStream<T, R>(
  bus: MessageBus,
  topic: Topic<T>,
  pattern: string,
  signal: AbortSignal,
  map: (data: T) => Iterable<R>,
  maxQueued = 1_000,
): AsyncGenerator<R> {
  const queue: R[] = [];
  let wake: (() => void) | undefined;
  const notify = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const sub = await bus.subscribe(topic, pattern, (m) => {
    for (const item of map(m.data)) queue.push(item);
    if (queue.length > maxQueued) queue.splice(0, queue.length - maxQueued);
    notify();
  });
  signal.addEventListener('abort', notify, { once: true });
  try {
    while (!signal.aborted) {
      if (queue.length === 0) {
        await new Promise<void>((r) => {
          wake = r;
        });
        continue;
      }
      const batch = queue.splice(0, queue.length);
      for (const item of batch) yield item;
    }
  } finally {
    signal.removeEventListener('abort', notify);
    await sub.unsubscribe();
  }
}
