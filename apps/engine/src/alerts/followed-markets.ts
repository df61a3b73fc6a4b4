import type { AlertRule } from '@qt/alerts';
import { AppError } from '@qt/shared';

/** Followed markets named in an error (the rest counted): an engine may follow hundreds. */
const NAMED_IN_ERROR = 20;

/** Refuses alerts that could never fire on this engine (see followedMarkets). */
export interface FollowedMarkets {
  /** Throws ALERT_MARKET_NOT_FOLLOWED when the rule names a market (or venue) no engine follows. */
  check(rule: AlertRule): Promise<void>;
}

/** How long the stored followed markets are reused between checks (NATS). */
export const STORED_FOLLOWED_CACHE_MS = 5_000;
/** Most stored followed markets read for a check (distinct venue and symbol; the engine cap is far lower). */
export const MAX_STORED_FOLLOWED = 10_000;

type Market = { venue: string; symbol: string };

/**
 * The markets this engine's feeds follow (MARKET_SYMBOLS on the venues that list them, and the markets
 * tenants added with `market.follow`: `followed` is read at each check, so a market followed at run time
 * is accepted at once). An alert on anything else passes the rules but can never fire, so it is refused
 * with the market named and what is followed. Data-quality alerts: the venue (and symbol) they narrow to
 * must be followed; one naming neither needs some market followed.
 *
 * On NATS several engines share the bus, and this one evaluates the trades their feeds publish: an alert
 * is also accepted on a configured symbol (MARKET_SYMBOLS, shared by the engines) on any venue, and on
 * any market stored in followed_markets (`market.follow` on any engine), read at most every
 * STORED_FOLLOWED_CACHE_MS and at most MAX_STORED_FOLLOWED rows.
 *
 * `source: 'off'` (MARKET_SOURCE=off): this engine runs no feed. On the in-process bus nothing can ever
 * publish a trade, so every alert is refused, saying why. On NATS other engines' feeds publish on the
 * shared bus and this engine cannot know all they follow: alerts are accepted there.
 */
export function followedMarkets(params: {
  source: 'live' | 'simulator' | 'off';
  bus: 'in-process' | 'nats';
  followed: () => readonly Market[];
  /** MARKET_SYMBOLS (NATS only: other engines follow them on their venues). */
  configured?: readonly string[];
  /** The stored followed_markets rows, distinct (NATS only). */
  stored?: (limit: number) => Promise<readonly Market[]>;
  cacheMs?: number;
  now?: () => number;
}): FollowedMarkets {
  if (params.source === 'off') {
    return {
      check: async (rule) => {
        if (params.bus === 'nats') return;
        const market = describe(rule);
        throw new AppError(
          'ALERT_MARKET_NOT_FOLLOWED',
          `Market data is switched off on this engine (MARKET_SOURCE=off) and no other engine shares its bus: an alert on ${market} could never fire.`,
          { reason: 'marketDataOff', market },
        );
      },
    };
  }
  const shared = params.bus === 'nats';
  const configured = shared ? new Set(params.configured ?? []) : new Set<string>();
  const now = params.now ?? Date.now;
  const cacheMs = params.cacheMs ?? STORED_FOLLOWED_CACHE_MS;
  let cache: { at: number; rows: readonly Market[] } | null = null;
  let reading: Promise<readonly Market[]> | null = null;
  const storedRows = async (): Promise<readonly Market[]> => {
    if (!shared || !params.stored) return [];
    if (cache && now() - cache.at < cacheMs) return cache.rows;
    reading ??= params
      .stored(MAX_STORED_FOLLOWED)
      .then((rows) => {
        const bounded = rows.slice(0, MAX_STORED_FOLLOWED);
        cache = { at: now(), rows: bounded };
        return bounded;
      })
      .finally(() => {
        reading = null;
      });
    return reading;
  };
  const matches = (all: readonly Market[], venue: string | undefined, symbol: string | undefined) =>
    venue !== undefined && symbol !== undefined
      ? all.some((m) => m.venue === venue && m.symbol === symbol)
      : venue !== undefined
        ? all.some((m) => m.venue === venue)
        : symbol !== undefined
          ? all.some((m) => m.symbol === symbol)
          : all.length > 0;
  return {
    check: async (rule) => {
      const { venue, symbol } = marketOf(rule);
      const local = params.followed();
      if (matches(local, venue, symbol)) return;
      // Another engine's feed: a configured symbol (its venue is not known here), or a stored follow.
      if (symbol !== undefined && configured.has(symbol)) return;
      if (venue === undefined && symbol === undefined && configured.size > 0) return;
      const stored = await storedRows();
      if (matches(stored, venue, symbol)) return;
      const names = [...local, ...stored].map((m) => `${m.venue} ${m.symbol}`);
      const unique = [...new Set(names)];
      const shown =
        unique.length === 0
          ? 'none'
          : `${unique.slice(0, NAMED_IN_ERROR).join(', ')}${unique.length > NAMED_IN_ERROR ? ` and ${unique.length - NAMED_IN_ERROR} more` : ''}`;
      const market = describe(rule);
      throw new AppError(
        'ALERT_MARKET_NOT_FOLLOWED',
        `${shared ? 'No engine on this bus follows' : 'This engine does not follow'} ${market}, so the alert could never fire. Followed: ${shown}.`,
        { reason: 'notFollowed', market, followed: unique.slice(0, NAMED_IN_ERROR) },
      );
    },
  };
}

/**
 * True when an edit changes what the followed check looks at (venue, symbol, condition). Compared with
 * sorted keys: the stored rule comes back from jsonb, whose key order is not the one written.
 */
export function marketChanged(stored: Record<string, unknown>, rule: AlertRule): boolean {
  return (['venue', 'symbol', 'condition'] as const).some((k) => canonical(stored[k]) !== canonical(rule[k]));
}

function canonical(v: unknown): string {
  return (
    JSON.stringify(v, (_k, x: unknown) =>
      x !== null && typeof x === 'object' && !Array.isArray(x)
        ? Object.fromEntries(
            Object.entries(x as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1)),
          )
        : x,
    ) ?? ''
  );
}

/** The venue and symbol an alert narrows to (a data-quality condition's own, else the rule's). */
function marketOf(rule: AlertRule): { venue: string | undefined; symbol: string | undefined } {
  const c = rule.condition;
  if (c.kind === 'dataQuality') return { venue: c.venue ?? rule.venue, symbol: c.symbol ?? rule.symbol };
  return { venue: rule.venue, symbol: rule.symbol };
}

function describe(rule: AlertRule): string {
  const { venue, symbol } = marketOf(rule);
  if (venue !== undefined && symbol !== undefined) return `${venue} ${symbol}`;
  if (venue !== undefined) return `venue ${venue}`;
  if (symbol !== undefined) return `${symbol} (any venue)`;
  return 'any market';
}
