import type { StrategyLogLine } from '../driver.ts';

/**
 * A strategy's recent log lines: the last `capacity` kept, at most `perSecond` accepted in any one
 * second of real time (a strategy logging in a loop must not flood memory or the push gateway); the
 * rest are counted in `dropped`.
 */
export class LogRing {
  private readonly lines: StrategyLogLine[] = [];
  private start = 0;
  private windowStart = Number.NEGATIVE_INFINITY;
  private inWindow = 0;
  dropped = 0;

  constructor(
    private readonly capacity: number,
    private readonly perSecond: number,
  ) {}

  /** `force`: kept even over the rate (the host's own lines, e.g. why the strategy stopped). */
  push(line: StrategyLogLine, nowMs: number, force = false): boolean {
    if (nowMs - this.windowStart >= 1000) {
      this.windowStart = nowMs;
      this.inWindow = 0;
    }
    if (this.inWindow >= this.perSecond && !force) {
      this.dropped++;
      return false;
    }
    this.inWindow++;
    if (this.lines.length < this.capacity) this.lines.push(line);
    else {
      this.lines[this.start] = line;
      this.start = (this.start + 1) % this.capacity;
    }
    return true;
  }

  /** Oldest first. */
  toArray(): StrategyLogLine[] {
    return [...this.lines.slice(this.start), ...this.lines.slice(0, this.start)];
  }
}
