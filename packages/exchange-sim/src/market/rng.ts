/**
 * sfc32: a small, fast 32-bit generator with good statistical quality; plenty for a synthetic market and
 * much cheaper than anything cryptographic. One instance per stream keeps streams independent of each
 * other, so a stream's output depends only on the seed, not on how ticks happen to fall.
 */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;
  #spare = 0;
  #hasSpare = false;

  constructor(seed: number, salt = 0) {
    this.#a = 0x9e3779b9 ^ seed;
    this.#b = 0x243f6a88 ^ salt;
    this.#c = 0xb7e15162 ^ Math.imul(seed, 0x85ebca6b);
    this.#d = 1;
    for (let i = 0; i < 15; i += 1) this.next();
  }

  /** Uniform on [0, 1). */
  next(): number {
    const a = this.#a | 0;
    const b = this.#b | 0;
    const c = this.#c | 0;
    const d = this.#d | 0;
    const t = (((a + b) | 0) + d) | 0;
    this.#d = (d + 1) | 0;
    this.#a = b ^ (b >>> 9);
    this.#b = (c + (c << 3)) | 0;
    this.#c = (((c << 21) | (c >>> 11)) + t) | 0;
    return (t >>> 0) / 4294967296;
  }

  /** Uniform on (0, 1): safe under a logarithm. */
  nextOpen(): number {
    return (this.next() * 4294967295 + 0.5) / 4294967296;
  }

  /** Standard normal (Box-Muller, the second value kept for the next call). */
  normal(): number {
    if (this.#hasSpare) {
      this.#hasSpare = false;
      return this.#spare;
    }
    const r = Math.sqrt(-2 * Math.log(this.nextOpen()));
    const theta = 2 * Math.PI * this.next();
    this.#spare = r * Math.sin(theta);
    this.#hasSpare = true;
    return r * Math.cos(theta);
  }
}

/** FNV-1a of a string: stable per-name salts for the streams. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i += 1) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}
