import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdWindow } from '../../src/sequence/id-window.ts';

/** The window in its plainest form (Set of strings + ring of strings): the reference behaviour. */
class ReferenceWindow {
  readonly seen = new Set<string>();
  readonly ring: string[] = [];
  next = 0;
  constructor(readonly capacity: number) {}
  accept(id: string): boolean {
    if (this.seen.has(id)) return false;
    if (this.ring.length < this.capacity) {
      this.ring.push(id);
    } else {
      const slot = this.next;
      this.seen.delete(this.ring[slot] as string);
      this.ring[slot] = id;
      this.next = (slot + 1) % this.capacity;
    }
    this.seen.add(id);
    return true;
  }
}

/** Ids that look alike on purpose: same value with and without leading zeros, 9-digit boundaries, UUIDs. */
const id = fc.oneof(
  { weight: 5, arbitrary: fc.integer({ min: 0, max: 300 }).map(String) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 300 }).map((n) => `0${n}`) },
  {
    weight: 2,
    arbitrary: fc.integer({ min: 0, max: 50 }).map((n) => `22900000000${String(n).padStart(8, '0')}`),
  },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 50 }).map((n) => String(1_000_000_000 * n + 7)) },
  {
    weight: 1,
    arbitrary: fc.constantFrom('999999999', '1000000000', '999999999999999999999999', '1'.repeat(25)),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('', 'a', '20f43950-d8dd-5b31-9112-a178eb6023af', '1a', '-1', '1.0'),
  },
);

describe('IdWindow', () => {
  it('answers exactly as the Set-of-strings window on random id streams (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.array(id, { maxLength: 2_000 }),
        (capacity, stream) => {
          const fast = new IdWindow(capacity);
          const ref = new ReferenceWindow(capacity);
          for (const i of stream) expect(fast.accept(i)).toBe(ref.accept(i));
        },
      ),
      { numRuns: 300 },
    );
  }, 60_000);

  it('keeps exactly the last `capacity` ids through growth and a long slide', () => {
    // 19-digit ids as Bybit spot sends them (beyond 2^53: exact only as text).
    const base = BigInt('2290000000000000000');
    const idOf = (i: number) => (base + BigInt(i * 7)).toString();
    const w = new IdWindow(10_000);
    for (let i = 0; i < 100_000; i++) expect(w.accept(idOf(i))).toBe(true);
    // The last 10,000 are remembered, the one before is forgotten.
    expect(w.accept(idOf(99_999))).toBe(false);
    expect(w.accept(idOf(90_000))).toBe(false);
    expect(w.accept(idOf(89_999))).toBe(true);
  }, 60_000);
});
