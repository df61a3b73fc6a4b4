import type { Depth } from '@qt/shared';

/** What the depth panel may show: levels only in `live`; every other kind is a message, never numbers. */
export type DepthViewKind = 'loading' | 'none' | 'off' | 'syncing' | 'stale' | 'reconnecting' | 'live';

export interface DepthViewInput {
  /** The newest book state received (query or push), or null when the engine has none yet. */
  depth: Depth | null;
  /** Whether `depth` is still being fetched for the first time. */
  loading: boolean;
  /** The push connection: `pending` is open; `connecting` after a drop; `error` when it stopped. */
  connection: 'idle' | 'connecting' | 'pending' | 'error';
  /** A push was received on this connection before (so `connecting` now means the link dropped). */
  hadPush: boolean;
  /** The engine said order books are switched off (MARKET_DEPTH=false): no reconnect will help. */
  disabled?: boolean;
}

/**
 * Decides what the ladder and chart show. The engine publishes a book only when it changed, so a quiet
 * synced book is still live; but a book whose push link dropped or failed may have moved since, so its
 * last levels are not shown as live: the panel says it is reconnecting instead.
 */
export function depthViewKind(input: DepthViewInput): DepthViewKind {
  const { depth, loading, connection, hadPush } = input;
  if (input.disabled) return 'off';
  if (connection === 'error' || (connection === 'connecting' && hadPush)) return 'reconnecting';
  if (!depth) return loading ? 'loading' : 'none';
  if (depth.status === 'stale') return 'stale';
  if (depth.status === 'syncing') return 'syncing';
  return depth.bids.length === 0 && depth.asks.length === 0 ? 'none' : 'live';
}

export const depthStateText: Record<Exclude<DepthViewKind, 'live'>, { title: string; detail: string }> = {
  loading: { title: 'Loading order book…', detail: '' },
  none: {
    title: 'No order book yet',
    detail: 'The levels appear once the venue sent its first book for this symbol.',
  },
  off: {
    title: 'Order books are switched off',
    detail: 'This engine runs without order books (MARKET_DEPTH=false).',
  },
  syncing: {
    title: 'Book resyncing',
    detail: 'The book is being rebuilt from a fresh snapshot; levels return once it is in sync again.',
  },
  stale: {
    title: 'Book stale',
    detail: 'Nothing arrived from the venue for too long; levels return once its book is in sync again.',
  },
  reconnecting: {
    title: 'Book updates interrupted',
    detail: 'The live connection dropped; levels return when it is back (the last ones may be outdated).',
  },
};
