/**
 * TA-Lib's SMA arithmetic (running sum, oldest subtracted after the output) for the smoothing stages inside
 * other indicators (STOCH, STOCHRSI), where a period of 1 is allowed and means "no smoothing".
 */
export class RollingMean {
  private readonly buf: Float64Array;
  private pos = 0;
  private n = 0;
  private sum = 0;

  constructor(readonly period: number) {
    this.buf = new Float64Array(period);
  }

  update(x: number): number {
    const buf = this.buf;
    let pos = this.pos;
    buf[pos] = x;
    this.sum += x;
    if (++pos === this.period) pos = 0;
    this.pos = pos;
    if (this.n < this.period - 1) {
      this.n++;
      return Number.NaN;
    }
    const sum = this.sum;
    this.sum = sum - (buf[pos] as number);
    return sum / this.period;
  }

  reset(): void {
    this.pos = 0;
    this.n = 0;
    this.sum = 0;
  }
}
