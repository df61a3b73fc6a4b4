import { resyncReasons } from '@qt/market-data';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DepthService } from './depth-service.ts';

/** `qt_book_status` values. */
const statusValue = { syncing: 0, synced: 1, stale: 2 } as const;

/**
 * Order books as Prometheus metrics, read at scrape time from the synchronisers' counters:
 * `qt_book_resyncs_total{venue,reason}` (a counter: each scrape adds what happened since the last one) and
 * `qt_book_status{venue,symbol}` (0 syncing, 1 synced, 2 stale).
 */
export function registerDepthMetrics(registry: Registry, depth: DepthService): void {
  const reported = new Map<string, number>();
  new Counter({
    name: 'qt_book_resyncs_total',
    help: 'Order books dropped and rebuilt, by venue and reason (sequence-gap, checksum-mismatch, snapshot-too-old, crossed-book, malformed, stale).',
    labelNames: ['venue', 'reason'],
    registers: [registry],
    collect() {
      for (const books of depth.venues()) {
        for (const reason of resyncReasons) {
          const key = `${books.venue}:${reason}`;
          const now = books.counters.resyncs[reason];
          const before = reported.get(key);
          if (before === undefined) this.inc({ venue: books.venue, reason }, now);
          else if (now > before) this.inc({ venue: books.venue, reason }, now - before);
          reported.set(key, now);
        }
      }
    },
  });
  new Gauge({
    name: 'qt_book_status',
    help: 'Order book status per venue and symbol: 0 syncing, 1 synced (served), 2 stale (not served).',
    labelNames: ['venue', 'symbol'],
    registers: [registry],
    collect() {
      for (const books of depth.venues()) {
        for (const book of books.books()) {
          this.set({ venue: books.venue, symbol: book.symbol }, statusValue[book.sync.status]);
        }
      }
    },
  });
}
