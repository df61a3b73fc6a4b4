/**
 * The last `capacity` trade ids of one symbol, for the `unique` duplicate check: a ring in arrival order
 * over an open-addressing hash table (linear probing, backward-shift deletion, so no tombstones build up
 * as the window slides). Ids that are canonical decimal integers of at most 24 digits (Bybit spot's
 * `i`, 19 digits) are kept as two numbers, the digits above and the last nine, so a lookup hashes two
 * integers and allocates nothing; any other id (UUIDs on derivatives, leading zeros) goes to a Set.
 * Both grow with use up to the capacity.
 */
export class IdWindow {
  readonly #capacity: number;
  /** Ring, in arrival order: the id's high part (-1 for an id kept as a string) and low part. */
  #ringHi: Float64Array;
  #ringLo: Int32Array;
  #ringStr: Array<string | undefined> | null = null;
  #count = 0;
  #next = 0;
  /** Hash table of the numeric ids in the ring; EMPTY marks a free slot. */
  #tableHi: Float64Array;
  #tableLo: Int32Array;
  #mask: number;
  #shift: number;
  readonly #strings = new Set<string>();

  constructor(capacity: number) {
    this.#capacity = Math.max(1, Math.floor(capacity));
    const size = Math.min(64, this.#capacity);
    this.#ringHi = new Float64Array(size);
    this.#ringLo = new Int32Array(size);
    this.#tableHi = new Float64Array(128).fill(EMPTY);
    this.#tableLo = new Int32Array(128);
    this.#mask = 127;
    this.#shift = 32 - 7;
  }

  /**
   * Whether `id` is new: false only when the window holds it. A new id is remembered, forgetting the
   * oldest once the window is full. Nothing else (no `seq`, no order) makes an id a duplicate: Bybit's
   * `seq` restarts on a new connection, and a never-seen id is never a duplicate.
   */
  accept(id: string): boolean {
    const numeric = split(id);
    const hi = HI;
    const lo = LO;
    if (numeric ? this.#find(hi, lo) >= 0 : this.#strings.has(id)) return false;
    let slot: number;
    if (this.#count < this.#capacity) {
      if (this.#count === this.#ringHi.length) this.#grow();
      slot = this.#count++;
    } else {
      slot = this.#next;
      this.#next = slot + 1 === this.#capacity ? 0 : slot + 1;
      const oldHi = this.#ringHi[slot] as number;
      if (oldHi === EMPTY) {
        const ring = this.#ringStr as Array<string | undefined>;
        this.#strings.delete(ring[slot] as string);
        ring[slot] = undefined;
      } else {
        this.#remove(oldHi, this.#ringLo[slot] as number);
      }
    }
    if (numeric) {
      this.#ringHi[slot] = hi;
      this.#ringLo[slot] = lo;
      this.#insert(hi, lo);
    } else {
      this.#ringHi[slot] = EMPTY;
      this.#ringStr ??= [];
      this.#ringStr[slot] = id;
      this.#strings.add(id);
    }
    return true;
  }

  #hash(hi: number, lo: number): number {
    const h = Math.imul(lo ^ Math.imul(hi | 0, 0x85ebca6b) ^ ((hi / 4294967296) | 0), 0x9e3779b1);
    return h >>> this.#shift;
  }

  #find(hi: number, lo: number): number {
    const th = this.#tableHi;
    const tl = this.#tableLo;
    const mask = this.#mask;
    for (let i = this.#hash(hi, lo); ; i = (i + 1) & mask) {
      const h = th[i] as number;
      if (h === EMPTY) return -1;
      if (h === hi && tl[i] === lo) return i;
    }
  }

  #insert(hi: number, lo: number): void {
    const th = this.#tableHi;
    const mask = this.#mask;
    let i = this.#hash(hi, lo);
    while (th[i] !== EMPTY) i = (i + 1) & mask;
    th[i] = hi;
    (this.#tableLo as Int32Array)[i] = lo;
  }

  #remove(hi: number, lo: number): void {
    let free = this.#find(hi, lo);
    if (free < 0) return;
    const th = this.#tableHi;
    const tl = this.#tableLo;
    const mask = this.#mask;
    // Backward shift: pull later entries of the probe run into the hole when their home allows it.
    for (let j = (free + 1) & mask; th[j] !== EMPTY; j = (j + 1) & mask) {
      const home = this.#hash(th[j] as number, tl[j] as number);
      const between = free <= j ? free < home && home <= j : free < home || home <= j;
      if (between) continue;
      th[free] = th[j] as number;
      tl[free] = tl[j] as number;
      free = j;
    }
    th[free] = EMPTY;
  }

  /** Doubles the ring (up to the capacity) and keeps the table at most half full. */
  #grow(): void {
    const size = Math.min(this.#capacity, this.#ringHi.length * 2);
    const hi = new Float64Array(size);
    hi.set(this.#ringHi);
    const lo = new Int32Array(size);
    lo.set(this.#ringLo);
    this.#ringHi = hi;
    this.#ringLo = lo;
    let tableSize = this.#tableHi.length;
    while (tableSize < size * 2) tableSize *= 2;
    if (tableSize === this.#tableHi.length) return;
    this.#tableHi = new Float64Array(tableSize).fill(EMPTY);
    this.#tableLo = new Int32Array(tableSize);
    this.#mask = tableSize - 1;
    this.#shift = 32 - Math.log2(tableSize);
    for (let i = 0; i < this.#count; i++) {
      const h = hi[i] as number;
      if (h !== EMPTY) this.#insert(h, lo[i] as number);
    }
  }
}

const EMPTY = -1;
/** The parts of the id `split` read last (module state: no allocation per id). */
let HI = 0;
let LO = 0;

/** Whether `id` is a canonical decimal integer of 1 to 24 digits; its parts go to HI (above the last 9 digits) and LO. */
function split(id: string): boolean {
  const n = id.length;
  if (n === 0 || n > 24 || (n > 1 && id.charCodeAt(0) === 48)) return false;
  const cut = n - 9;
  let hi = 0;
  let lo = 0;
  for (let i = 0; i < n; i++) {
    const d = id.charCodeAt(i) - 48;
    if (!(d >= 0 && d <= 9)) return false;
    if (i < cut) hi = hi * 10 + d;
    else lo = lo * 10 + d;
  }
  HI = hi;
  LO = lo;
  return true;
}
