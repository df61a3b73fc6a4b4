/** Strategy timers in replay time: a binary min-heap on (dueAt, request order), so ties fire FIFO. */
export class TimerQueue {
  #due: number[] = [];
  #seq: number[] = [];
  #ids: number[] = [];
  #next = 0;

  get size(): number {
    return this.#due.length;
  }

  add(timerId: number, dueAt: number): void {
    const seq = this.#next++;
    let i = this.#due.length;
    this.#due.push(dueAt);
    this.#seq.push(seq);
    this.#ids.push(timerId);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  /** Due time of the earliest timer, or +Infinity. */
  peek(): number {
    return this.#due.length > 0 ? (this.#due[0] as number) : Number.POSITIVE_INFINITY;
  }

  /** Removes the earliest timer and returns its id (call only when size > 0). */
  pop(): number {
    const id = this.#ids[0] as number;
    const last = this.#due.length - 1;
    this.#swap(0, last);
    this.#due.pop();
    this.#seq.pop();
    this.#ids.pop();
    let i = 0;
    const n = this.#due.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.#less(l, m)) m = l;
      if (r < n && this.#less(r, m)) m = r;
      if (m === i) break;
      this.#swap(i, m);
      i = m;
    }
    return id;
  }

  #less(a: number, b: number): boolean {
    const da = this.#due[a] as number;
    const db = this.#due[b] as number;
    return da < db || (da === db && (this.#seq[a] as number) < (this.#seq[b] as number));
  }

  #swap(a: number, b: number): void {
    // Written out: a loop over [due, seq, ids] built an array per swap.
    swap(this.#due, a, b);
    swap(this.#seq, a, b);
    swap(this.#ids, a, b);
  }
}

function swap(arr: number[], a: number, b: number): void {
  const t = arr[a] as number;
  arr[a] = arr[b] as number;
  arr[b] = t;
}
