/**
 * The subject scheme (ARCHITECTURE.md, "Subjects"): `<domain>.<kind>.<key>...`, lower-case domain and
 * kind, then the keys that route a message (venue, symbol, interval, tenant). Tokens are restricted to
 * characters that are safe in NATS subjects and stream names, so a symbol can never smuggle a `.`, a
 * wildcard or whitespace into a subject and widen what a subscriber receives.
 */

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

export class SubjectTokenError extends Error {
  override readonly name = 'SubjectTokenError';
  constructor(
    readonly part: string,
    readonly value: string,
  ) {
    super(
      `invalid subject token for ${part}: ${JSON.stringify(value)} (allowed: A-Z a-z 0-9 _ -, 1-64 chars)`,
    );
  }
}

/** Returns the token unchanged, or throws if it could break the subject's structure. */
export function subjectToken(part: string, value: string): string {
  if (!TOKEN.test(value)) throw new SubjectTokenError(part, value);
  return value;
}

export const subjects = {
  /** One venue's trades for one canonical symbol, e.g. `market.trades.binance.BTC-USDT`. */
  marketTrades: (venue: string, symbol: string) =>
    `market.trades.${subjectToken('venue', venue)}.${subjectToken('symbol', symbol)}`,
  /** Candle updates, e.g. `market.klines.okx.ETH-USDT.1m`. */
  marketKlines: (venue: string, symbol: string, interval: string) =>
    `market.klines.${subjectToken('venue', venue)}.${subjectToken('symbol', symbol)}.${subjectToken('interval', interval)}`,
  /** A feed's data-quality events for one symbol, e.g. `market.quality.binance.BTC-USDT`. */
  marketQuality: (venue: string, symbol: string) =>
    `market.quality.${subjectToken('venue', venue)}.${subjectToken('symbol', symbol)}`,
  /** Conflated L2 depth of one book, e.g. `market.depth.okx.BTC-USDT`. */
  marketDepth: (venue: string, symbol: string) =>
    `market.depth.${subjectToken('venue', venue)}.${subjectToken('symbol', symbol)}`,
} as const;

/**
 * NATS wildcard semantics: `*` matches exactly one token, `>` (last token only) matches one or more.
 * Used by the in-process bus so it routes exactly as NATS would.
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  if (pattern === subject) return true;
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    const tok = p[i];
    if (tok === '>') return i === p.length - 1 && s.length > i;
    if (i >= s.length) return false;
    if (tok !== '*' && tok !== s[i]) return false;
  }
  return p.length === s.length;
}

/** A valid subscription pattern: tokens or wildcards, `>` only at the end. */
export function isValidPattern(pattern: string): boolean {
  const p = pattern.split('.');
  return p.every((t, i) => t === '*' || (t === '>' && i === p.length - 1) || TOKEN.test(t));
}

/** True when every subject `pattern` can match is also matched by `outer`. */
export function patternWithin(pattern: string, outer: string): boolean {
  const p = pattern.split('.');
  const o = outer.split('.');
  for (let i = 0; i < o.length; i++) {
    const ot = o[i];
    const pt = p[i];
    if (ot === '>') return pt !== undefined;
    if (pt === undefined || pt === '>') return false;
    if (ot !== '*' && (pt === '*' || pt !== ot)) return false;
  }
  return p.length === o.length;
}
