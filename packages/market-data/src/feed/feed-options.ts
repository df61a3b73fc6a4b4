import type { VenueAdapter } from '../venues/venue-adapter.ts';
import type { ConnectLimiter } from './connect-limiter.ts';

/** Tuning of a feed; every field has a default from the venue's rules. Durations in ms. */
export interface FeedOptions {
  /** An open socket silent for this long is stale: closed and replaced. Default: the adapter's. */
  staleAfterMs?: number;
  /** Client heartbeat period (OKX, Bybit). Default: the adapter's (20 s). */
  heartbeatIntervalMs?: number;
  /**
   * Reconnect delays: equal-jittered, doubling from `initialMs` up to `maxMs`. Default 500 / 30,000. The
   * delay starts over once a socket delivers market data.
   */
  backoff?: { initialMs?: number; maxMs?: number };
  /**
   * After a planned switch (lifetime or shutdown notice) the old socket keeps delivering for this long
   * once the replacement is live, so frames it still had in flight go through the de-duplication instead
   * of being lost; then it is closed (and read until it really closes). Default 2,000.
   */
  overlapDrainMs?: number;
  /**
   * A trade-id gap is reported only if still open this long after it was seen (late frames of the other
   * socket during a switch fill it first). Default 2,000.
   */
  gapGraceMs?: number;
  /** Ids remembered per symbol for venues without consecutive ids (Bybit). Default 10,000. */
  duplicateWindow?: number;
  /** Subscribe requests unanswered after this long are logged and the connection goes live anyway. */
  ackTimeoutMs?: number;
  /**
   * Symbols without a trade or quote this long after going live (or after being added at run time) are
   * reported as silent. Default 60,000.
   */
  noDataAfterMs?: number;
  /** Replace a connection before the venue cuts it; null: never. Default: the adapter's (Binance 24 h). */
  maxConnectionLifetimeMs?: number | null;
  /** How long before that lifetime the replacement opens. Default 10 minutes. */
  rotateBeforeMs?: number;
  /** Subscriptions (symbol x channel) per connection. Default: the adapter's limit. */
  maxSubscriptionsPerConnection?: number;
  handshakeTimeoutMs?: number;
  /** How often timers check staleness, heartbeats and silence. Default: from the windows above. */
  checkIntervalMs?: number;
  /** Connection-attempt limiter; share one per venue across feeds. Default: one per feed. */
  connectLimiter?: ConnectLimiter;
  /** Jitter source, in [0, 1). */
  random?: () => number;
}

export interface ResolvedFeedOptions {
  readonly staleAfterMs: number;
  readonly heartbeatIntervalMs: number | null;
  readonly heartbeatWhenIdle: boolean;
  readonly heartbeatText: string;
  readonly backoffInitialMs: number;
  readonly backoffMaxMs: number;
  readonly overlapDrainMs: number;
  readonly gapGraceMs: number;
  readonly duplicateWindow: number;
  readonly ackTimeoutMs: number;
  readonly noDataAfterMs: number;
  /** When to open the replacement, counted from the socket's open; null: never. */
  readonly rotateAfterMs: number | null;
  readonly maxSubscriptionsPerConnection: number;
  readonly handshakeTimeoutMs: number;
  readonly checkIntervalMs: number;
  readonly random: () => number;
}

export function resolveFeedOptions(adapter: VenueAdapter, o: FeedOptions = {}): ResolvedFeedOptions {
  const rule = adapter.heartbeat;
  const staleAfterMs = o.staleAfterMs ?? adapter.defaultStaleAfterMs;
  const heartbeatIntervalMs = rule.kind === 'client-ping' ? (o.heartbeatIntervalMs ?? rule.intervalMs) : null;
  const noDataAfterMs = o.noDataAfterMs ?? 60_000;
  const lifetime =
    o.maxConnectionLifetimeMs === undefined
      ? adapter.limits.maxConnectionLifetimeMs
      : o.maxConnectionLifetimeMs;
  const rotateBeforeMs = o.rotateBeforeMs ?? 10 * 60_000;
  const rotateAfterMs =
    lifetime === null ? null : lifetime > rotateBeforeMs ? lifetime - rotateBeforeMs : lifetime * 0.9;
  const windows = [
    staleAfterMs,
    noDataAfterMs,
    ...(heartbeatIntervalMs === null ? [] : [heartbeatIntervalMs]),
  ];
  return {
    staleAfterMs,
    heartbeatIntervalMs,
    heartbeatWhenIdle: rule.kind === 'client-ping' && rule.whenIdle,
    heartbeatText: rule.kind === 'client-ping' ? rule.text : '',
    backoffInitialMs: o.backoff?.initialMs ?? 500,
    backoffMaxMs: o.backoff?.maxMs ?? 30_000,
    overlapDrainMs: o.overlapDrainMs ?? 2_000,
    gapGraceMs: o.gapGraceMs ?? 2_000,
    duplicateWindow: o.duplicateWindow ?? 10_000,
    ackTimeoutMs: o.ackTimeoutMs ?? 10_000,
    noDataAfterMs,
    rotateAfterMs,
    maxSubscriptionsPerConnection: Math.min(
      o.maxSubscriptionsPerConnection ?? adapter.limits.maxSubscriptionsPerConnection,
      adapter.limits.maxSubscriptionsPerConnection,
    ),
    handshakeTimeoutMs: o.handshakeTimeoutMs ?? 10_000,
    checkIntervalMs: o.checkIntervalMs ?? Math.max(10, Math.min(1000, ...windows.map((w) => w / 4))),
    random: o.random ?? Math.random,
  };
}
