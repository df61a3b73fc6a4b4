import { type FeedStatus, type VenuesUnreachable, venuesUnreachable } from '@qt/shared';

/** What one venue's feed says about the prices on screen. */
export type VenueDataState = 'live' | 'simulated' | 'waiting' | 'unknown';

/** True when any feed runs on the bundled exchange simulator: its prices must never pass for live ones. */
export function isSimulated(feeds: readonly FeedStatus[]): boolean {
  return feeds.some((f) => f.source === 'simulator');
}

/**
 * The Live dot's truth for one venue: `live` only while a real venue's feed is live and messages arrive
 * (a live socket that delivers nothing is `waiting`), `simulated` for simulator data, `unknown` before
 * the feed status has loaded or when the venue has no feed.
 */
export function venueDataState(feeds: readonly FeedStatus[] | undefined, venue: string): VenueDataState {
  if (!feeds) return 'unknown';
  const own = feeds.filter((f) => f.venue === venue);
  if (own.length === 0) return 'unknown';
  const flowing = own.some((f) => f.state === 'live' && f.messageRate > 0);
  if (own.some((f) => f.source === 'simulator')) return flowing ? 'simulated' : 'waiting';
  return flowing ? 'live' : 'waiting';
}

export function unreachable(feeds: readonly FeedStatus[] | undefined): VenuesUnreachable | null {
  return feeds ? venuesUnreachable(feeds) : null;
}
