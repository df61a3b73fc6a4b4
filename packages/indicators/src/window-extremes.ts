/**
 * Maximum of the last `size` values in amortised O(1) per push: a monotonic deque of candidates (each value
 * enters and leaves once). On ties the latest index is kept, as TA-Lib's AROON does (`>=`); for max/min
 * values alone the tie rule makes no difference.
 */
export class WindowMax {
  private readonly values: Float64Array;
  private readonly indices: Float64Array;
  private head = 0;
  private length = 0;
  private count = 0;

  constructor(readonly size: number) {
    this.values = new Float64Array(size);
    this.indices = new Float64Array(size);
  }

  push(v: number): void {
    const size = this.size;
    const i = this.count++;
    const values = this.values;
    const indices = this.indices;
    // Drop the front candidate once it has slid out of the window.
    if (this.length > 0 && (indices[this.head] as number) <= i - size) {
      this.head = this.head + 1 === size ? 0 : this.head + 1;
      this.length--;
    }
    // Drop candidates at the back that the new value dominates: they can never be the maximum again.
    while (this.length > 0) {
      let back = this.head + this.length - 1;
      if (back >= size) back -= size;
      if ((values[back] as number) > v) break;
      this.length--;
    }
    let slot = this.head + this.length;
    if (slot >= size) slot -= size;
    values[slot] = v;
    indices[slot] = i;
    this.length++;
  }

  /** The maximum of the window (NaN before the first push). */
  get value(): number {
    return this.length > 0 ? (this.values[this.head] as number) : Number.NaN;
  }

  /** The 0-based push count at which the current maximum arrived. */
  get index(): number {
    return this.length > 0 ? (this.indices[this.head] as number) : -1;
  }

  reset(): void {
    this.head = 0;
    this.length = 0;
    this.count = 0;
  }
}

/** Minimum of the last `size` values: a WindowMax of the negated values (negation is exact in f64). */
export class WindowMin {
  private readonly max: WindowMax;

  constructor(readonly size: number) {
    this.max = new WindowMax(size);
  }

  push(v: number): void {
    this.max.push(-v);
  }

  get value(): number {
    return -this.max.value;
  }

  get index(): number {
    return this.max.index;
  }

  reset(): void {
    this.max.reset();
  }
}
