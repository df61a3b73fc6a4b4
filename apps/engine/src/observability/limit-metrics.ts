import type { RequestLimiter, UsageMeter } from '@qt/api';
import { TIER_CAPS, type Tier } from '@qt/shared';
import { Gauge, type Registry } from 'prom-client';

const TIERS = Object.keys(TIER_CAPS) as Tier[];

/**
 * The request limiter's and the usage meter's counters, read at scrape time (nothing is updated on the
 * request path for metrics' sake). Counts are since the engine started.
 */
export function registerLimitMetrics(
  registry: Registry,
  limiter: RequestLimiter | null,
  usage: UsageMeter,
): void {
  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => void) =>
    new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect() {
        collect(this);
      },
    });
  if (limiter) {
    gauge(
      'qt_rate_limit_allowed',
      'Authenticated calls allowed by the request limiter, by tier (since start).',
      ['tier'],
      (g) => {
        for (const t of TIERS) g.set({ tier: t }, limiter.stats.allowed[t]);
      },
    );
    gauge(
      'qt_rate_limit_limited',
      'Calls refused with RATE_LIMITED by the request limiter, by tier (since start).',
      ['tier'],
      (g) => {
        for (const t of TIERS) g.set({ tier: t }, limiter.stats.limited[t]);
      },
    );
    gauge(
      'qt_rate_limit_store_up',
      '1 while the shared rate-limit store (Redis, or memory without Redis) answers; 0 in the per-instance fallback.',
      [],
      (g) => g.set(limiter.stats.mode === 'fallback' ? 0 : 1),
    );
    gauge(
      'qt_rate_limit_fallback_allowed',
      'Reads allowed by the per-instance fallback while Redis was unreachable (since start).',
      [],
      (g) => g.set(limiter.stats.fallbackAllowed),
    );
    gauge(
      'qt_rate_limit_failed_closed',
      'Writes and orders refused because Redis was unreachable (since start).',
      [],
      (g) => g.set(limiter.stats.failedClosed),
    );
    gauge(
      'qt_rate_limit_store_outages',
      'Times the rate-limit store became unreachable (since start).',
      [],
      (g) => g.set(limiter.stats.outages),
    );
    gauge(
      'qt_rate_limit_redis_calls',
      'Limiter script calls to Redis: one per limited call (since start).',
      [],
      (g) => g.set(limiter.redisCalls),
    );
  }
  gauge('qt_usage_pending', 'Tenant-day usage counters held in memory, not yet written.', [], (g) =>
    g.set(usage.pending),
  );
  gauge(
    'qt_usage_flush_failures',
    'Usage flushes that failed (their counts were kept; since start).',
    [],
    (g) => g.set(usage.flushFailures),
  );
  gauge(
    'qt_usage_dropped',
    'Usage counts dropped because the in-memory table was full (since start).',
    [],
    (g) => g.set(usage.dropped),
  );
}
