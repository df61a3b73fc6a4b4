import type { Ticker } from '@qt/shared';

/** One row of the symbol picker. */
export interface SymbolOption {
  symbol: string;
  /** The engine follows it (its feeds run): pick it at once. Else it can be followed (within the tier). */
  followed: boolean;
  /** 24h change in percent (a decimal string), when followed and traded within the day. */
  changePercent: string | null;
}

/** Rows shown at most: the rest is reached by typing more. */
export const MAX_OPTIONS = 50;

const squash = (s: string) => s.toUpperCase().replace(/[^A-Z0-9]/g, '');

/**
 * What the picker lists for a venue and a typed query: the followed markets (from the 24h tickers) first,
 * then the ones the venue lists that could be followed. Matching ignores case and separators ("ethusdt",
 * "eth-u", "ETH/USDT" all find ETH-USDT); a symbol starting with the query ranks before one containing it.
 */
export function symbolOptions(
  venue: string,
  listed: readonly string[],
  tickers: ReadonlyMap<string, Ticker>,
  query: string,
): SymbolOption[] {
  const q = squash(query);
  const all = new Set(listed);
  const followed = new Set<string>();
  for (const t of tickers.values()) {
    if (t.venue !== venue) continue;
    followed.add(t.symbol);
    all.add(t.symbol);
  }
  const rank = (s: string) => {
    const sq = squash(s);
    if (q === '') return 0;
    if (sq.startsWith(q)) return 0;
    return sq.includes(q) ? 1 : -1;
  };
  return [...all]
    .map((symbol) => ({ symbol, r: rank(symbol), followed: followed.has(symbol) }))
    .filter((o) => o.r >= 0)
    .sort(
      (a, b) =>
        Number(b.followed) - Number(a.followed) ||
        a.r - b.r ||
        (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0),
    )
    .slice(0, MAX_OPTIONS)
    .map(({ symbol, followed: f }) => ({
      symbol,
      followed: f,
      changePercent: f ? (tickers.get(tickerKey(venue, symbol))?.changePercent ?? null) : null,
    }));
}

export const tickerKey = (venue: string, symbol: string) => `${venue}:${symbol}`;

/** The next highlighted row for a key press, wrapping around; -1 when there are no rows. */
export function moveHighlight(
  current: number,
  key: 'ArrowDown' | 'ArrowUp' | 'Home' | 'End',
  count: number,
): number {
  if (count === 0) return -1;
  switch (key) {
    case 'ArrowDown':
      return current < 0 ? 0 : (current + 1) % count;
    case 'ArrowUp':
      return current <= 0 ? count - 1 : current - 1;
    case 'Home':
      return 0;
    case 'End':
      return count - 1;
  }
}
