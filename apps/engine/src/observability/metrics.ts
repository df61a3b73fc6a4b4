import type { CallObservation } from '@qt/api';
import type { BusHealth } from '@qt/shared';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * One registry per engine (not prom-client's global one) so several engines can live in one test
 * process. Components register their own metrics on it; names follow `qt_<component>_<what>_<unit>`.
 */
export class EngineMetrics {
  readonly registry = new Registry();
  readonly apiCalls: Counter<'path' | 'type' | 'result'>;
  readonly apiDuration: Histogram<'path' | 'type'>;
  readonly up: Gauge<'component'>;
  readonly billingWebhooks: Counter<'outcome'>;

  constructor(labels: Record<string, string>) {
    this.registry.setDefaultLabels(labels);
    collectDefaultMetrics({ register: this.registry, prefix: 'qt_' });
    this.apiCalls = new Counter({
      name: 'qt_api_calls_total',
      help: 'tRPC calls by procedure and result (ok, or the error code).',
      labelNames: ['path', 'type', 'result'],
      registers: [this.registry],
    });
    this.apiDuration = new Histogram({
      name: 'qt_api_call_duration_seconds',
      help: 'tRPC call duration.',
      labelNames: ['path', 'type'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [this.registry],
    });
    this.up = new Gauge({
      name: 'qt_component_up',
      help: '1 when a component is healthy, 0 when not.',
      labelNames: ['component'],
      registers: [this.registry],
    });
    this.billingWebhooks = new Counter({
      name: 'qt_billing_webhooks_total',
      help: 'Stripe webhook deliveries by outcome: applied, duplicate, ignored, bad_signature (bad or stale signature), unavailable (503: database or Stripe), error, too_large, timeout, refused (not a POST).',
      labelNames: ['outcome'],
      registers: [this.registry],
    });
  }

  /** Bus state, read at scrape time (the bus keeps its own counters; nothing to update on the hot path). */
  trackBus(health: () => BusHealth): void {
    const gauge = (name: string, help: string, read: (h: BusHealth) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['kind'],
        registers: [this.registry],
        collect() {
          const h = health();
          this.set({ kind: h.kind }, read(h));
        },
      });
    gauge('qt_bus_connected', '1 while the bus is connected.', (h) => (h.connected ? 1 : 0));
    gauge(
      'qt_bus_rejected_messages',
      'Messages dropped for failing their schema or exhausting deliveries (since start).',
      (h) => h.rejected,
    );
    gauge(
      'qt_bus_slow_consumer_drops',
      'Messages live subscribers lost by falling behind (since start).',
      (h) => h.slowConsumerDrops,
    );
    gauge('qt_bus_reconnects', 'Reconnections to the NATS server (since start).', (h) => h.reconnects);
  }

  observeCall(call: CallObservation): void {
    this.apiCalls.inc({ path: call.path, type: call.type, result: call.ok ? 'ok' : (call.code ?? 'error') });
    this.apiDuration.observe({ path: call.path, type: call.type }, call.durationMs / 1000);
  }
}
