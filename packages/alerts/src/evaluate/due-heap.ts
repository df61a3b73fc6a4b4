/**
 * Alerts to look at again at a given time: a binary min-heap of (due, slot). An alert whose condition
 * holds but whose trigger held it back (cooldown, already fired in this bar), or that just fired and may
 * fire again, is due when the hold ends; a new or restored alert is due at once (-Infinity). The heap
 * holds at most one entry per (slot, due): the owner checks before pushing.
 */
export class DueHeap {
  #due: number[] = [];
  #slot: number[] = [];

  get size(): number {
    return this.#due.length;
  }

  push(due: number, slot: number): void {
    const d = this.#due;
    const s = this.#slot;
    let i = d.length;
    d.push(due);
    s.push(slot);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if ((d[parent] as number) <= due) break;
      d[i] = d[parent] as number;
      s[i] = s[parent] as number;
      i = parent;
    }
    d[i] = due;
    s[i] = slot;
  }

  /** The earliest due time, or +Infinity when empty. */
  peekDue(): number {
    return this.#due.length > 0 ? (this.#due[0] as number) : Number.POSITIVE_INFINITY;
  }

  /** Removes the earliest entry and returns its slot (call only when size > 0). */
  pop(): number {
    const d = this.#due;
    const s = this.#slot;
    const top = s[0] as number;
    const lastDue = d.pop() as number;
    const lastSlot = s.pop() as number;
    const n = d.length;
    if (n > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && (d[r] as number) < (d[l] as number) ? r : l;
        if ((d[c] as number) >= lastDue) break;
        d[i] = d[c] as number;
        s[i] = s[c] as number;
        i = c;
      }
      d[i] = lastDue;
      s[i] = lastSlot;
    }
    return top;
  }
}
