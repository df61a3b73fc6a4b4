import type { CallObservation } from '@qt/api';
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
  }

  observeCall(call: CallObservation): void {
    this.apiCalls.inc({ path: call.path, type: call.type, result: call.ok ? 'ok' : (call.code ?? 'error') });
    this.apiDuration.observe({ path: call.path, type: call.type }, call.durationMs / 1000);
  }
}
