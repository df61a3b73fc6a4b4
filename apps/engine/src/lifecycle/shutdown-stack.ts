import type { Logger } from '../observability/logger.ts';

/**
 * Resources register a stop function as they start; stopping runs them in reverse order, each bounded
 * by what is left of the overall deadline, and never lets one failure skip the rest.
 */
export class ShutdownStack {
  readonly #steps: { name: string; stop: () => Promise<void> }[] = [];

  push(name: string, stop: () => Promise<void>): void {
    this.#steps.push({ name, stop });
  }

  async run(logger: Logger, deadlineMs: number): Promise<void> {
    const deadline = performance.now() + deadlineMs;
    while (this.#steps.length > 0) {
      const step = this.#steps.pop();
      if (!step) break;
      const left = Math.max(50, deadline - performance.now());
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          step.stop(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`did not stop within ${Math.round(left)} ms`)), left);
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
