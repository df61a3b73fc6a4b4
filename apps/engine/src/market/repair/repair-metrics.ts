import { Gauge, type Registry } from 'prom-client';
import type { GapRepairer } from './gap-repairer.ts';

/**
 * Gap repair as Prometheus gauges read at scrape time from the repairer's counters (since start):
 * gaps by outcome, trades repaired, ids left missing, REST requests and refusals, candles recomputed,
 * the recompute schedule (waiting, dropped, failed) and the queue's length.
 */
export function registerGapRepairMetrics(registry: Registry, repairer: GapRepairer): void {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  new Gauge({
    name: 'qt_market_gap_repairs',
    help: 'Trade gaps (coalesced id ranges) finished by gap repair, by outcome (since start).',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      for (const [outcome, n] of Object.entries(repairer.stats.outcomes)) this.set({ outcome }, n);
    },
  });
  gauge('qt_market_gap_repair_queued', 'Gap ranges waiting for repair.', () => repairer.stats.queuedRanges);
  gauge(
    'qt_market_gap_trades_repaired',
    'Trades fetched over REST and stored for gaps (since start).',
    () => repairer.stats.tradesRepaired,
  );
  gauge(
    'qt_market_gap_ids_unrepairable',
    'Trade ids of gaps the venue could not supply (since start).',
    () => repairer.stats.idsUnrepairable,
  );
  gauge(
    'qt_market_gap_rest_requests',
    'REST requests made for gap repair.',
    () => repairer.stats.restRequests,
  );
  gauge(
    'qt_market_gap_rest_throttled',
    'REST answers refusing gap repair for the rate limit (429/418/403).',
    () => repairer.stats.restThrottled,
  );
  gauge(
    'qt_market_gap_candles_recomputed',
    'Stored candles recomputed from storage after a gap repair, once closed (since start).',
    () => repairer.stats.candlesRecomputed,
  );
  gauge(
    'qt_market_gap_recomputes_scheduled',
    'Candle windows waiting for their recompute after a gap repair (bounded).',
    () => repairer.stats.recomputesScheduled,
  );
  gauge(
    'qt_market_gap_recomputes_dropped',
    'Candle windows not recomputed because the schedule was full (since start).',
    () => repairer.stats.recomputesDropped,
  );
  gauge(
    'qt_market_gap_recomputes_failed',
    'Candle windows given up after every recompute attempt failed (since start).',
    () => repairer.stats.recomputesFailed,
  );
}
