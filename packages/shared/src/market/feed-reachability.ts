import type { FeedStatus } from './schemas.ts';

/**
 * Connect failures that mean "this machine cannot reach the venue at all" (no DNS, no route, refused),
 * as opposed to a venue that answered and then dropped the socket.
 */
const unreachablePattern =
  /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ECONNRESET|connect to \S+ failed/i;

export interface VenuesUnreachable {
  /** The venues, each once, in feed order. */
  venues: string[];
  /** The first connect error, as the feed reported it. */
  reason: string;
}

/**
 * Whether every venue feed is failing to connect (typically: offline, or a network that blocks the
 * venues). Null while any feed is live or has not failed yet, and for simulator feeds (nothing to reach).
 * The engine says so once in its log and the dashboard shows it, both offering the simulator instead.
 */
export function venuesUnreachable(feeds: readonly FeedStatus[]): VenuesUnreachable | null {
  const venueFeeds = feeds.filter((f) => f.source !== 'simulator');
  if (venueFeeds.length === 0 || venueFeeds.length !== feeds.length) return null;
  for (const f of venueFeeds) {
    if (f.state === 'live' || f.state === 'subscribing' || f.state === 'stale') return null;
    if (f.lastError === null || !unreachablePattern.test(f.lastError)) return null;
  }
  return {
    venues: [...new Set(venueFeeds.map((f) => f.venue))],
    reason: venueFeeds[0]?.lastError ?? '',
  };
}

/** The one line the engine logs and the dashboard shows when no venue can be reached. */
export function venuesUnreachableMessage(u: VenuesUnreachable): string {
  return `venues unreachable: ${u.venues.join(', ')} (${shortReason(u.reason)}); no live market data. For offline use, run MARKET_SOURCE=simulator npm start`;
}

function shortReason(reason: string): string {
  const code = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ECONNRESET/i.exec(reason);
  return code ? code[0].toUpperCase() : reason.slice(0, 120);
}
