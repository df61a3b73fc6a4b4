import { glueSymbol, splitGluedSymbol } from './wire-helpers.ts';

const maxCached = 20_000;

/**
 * Venue symbol -> canonical symbol, for venues that glue base and quote (`BTCUSDT`). Registered symbols
 * (known splits) win over the suffix guess; results are cached so the parser pays one Map lookup.
 */
export class GluedSymbolCache {
  readonly #canonical = new Map<string, string | null>();

  register(symbols: readonly string[]): void {
    for (const s of symbols) this.#canonical.set(glueSymbol(s), s);
  }

  /** `venueSymbol` must be upper case. */
  canonical(venueSymbol: string): string | null {
    const hit = this.#canonical.get(venueSymbol);
    if (hit !== undefined) return hit;
    const guess = splitGluedSymbol(venueSymbol);
    if (this.#canonical.size < maxCached) this.#canonical.set(venueSymbol, guess);
    return guess;
  }
}

/** Splits `items` into chunks of at most `size`. */
export function chunk<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

export function joinUrl(base: string, path: string): string {
  return base.endsWith('/') ? `${base.slice(0, -1)}${path}` : `${base}${path}`;
}
