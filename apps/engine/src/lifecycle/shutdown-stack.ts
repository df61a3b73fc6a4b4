import type { Logger } from '../observability/logger.ts';

/** A step that would get less than this (the deadline is spent) still gets this much. */
const MIN_STEP_MS = 50;

interface Step {
  name: string;
  /** Told its budget, so it can bound its own waits (drains, in-flight calls) by it. */
  stop: (budgetMs: number) => Promise<void>;
  share: number;
}

/**
 * Resources register a stop function as they start; stopping runs the `first` steps (in the order given)
 * and then the pushed ones in reverse order, and never lets one failure skip the rest.
 *
 * Budget: a step may take a `share` of the overall deadline that earlier steps cannot use. Each step gets
 * what is left of the deadline minus the shares of the steps after it, so a fast step leaves its time to
 * the next ones and a slow one cannot starve them (an API waiting for in-flight calls used to leave the
 * strategies 50 ms). The shares must add up to less than 1.
 */
export class ShutdownStack {
  readonly #first: Step[] = [];
  readonly #steps: Step[] = [];

  push(name: string, stop: (budgetMs: number) => Promise<void>, share = 0): void {
    this.#steps.push({ name, stop, share });
  }

  /** A step that runs before every pushed one, whatever was pushed later (a marker, say). */
  first(name: string, stop: (budgetMs: number) => Promise<void>, share = 0): void {
    this.#first.push({ name, stop, share });
  }

  async run(logger: Logger, deadlineMs: number): Promise<void> {
    const order = [...this.#first.splice(0), ...this.#steps.splice(0).reverse()];
    const deadline = performance.now() + deadlineMs;
    let reserved = order.reduce((sum, s) => sum + s.share * deadlineMs, 0);
    for (const step of order) {
      reserved -= step.share * deadlineMs;
      const budget = Math.max(MIN_STEP_MS, deadline - performance.now() - reserved);
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          step.stop(budget),
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`did not stop within ${Math.round(budget)} ms`)),
              budget,
            );
          }),
        ]);
        logger.info({ component: step.name }, 'stopped');
      } catch (err) {
        logger.error({ component: step.name, err }, 'stop failed');
      } finally {
        clearTimeout(timer);
      }
    }
  }
}
